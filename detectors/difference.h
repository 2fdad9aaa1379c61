// A difference image with what is needed to find and measure sources on it.
#pragma once

#include "image.h"

namespace blink {

struct DifferenceImage {
  Image diff;      // science minus PSF-matched reference (or the matched science minus the reference)
  Image variance;  // per-pixel variance of `diff`, ADU^2
  Mask mask;       // union of both inputs' masks, grown by the kernel where convolved
  double psf_fwhm = 0;    // PSF of `diff` (the blurrier input's), pixels
  double flux_scale = 1;  // a flux f in science ADU appears as f * flux_scale in `diff`
};

}  // namespace blink
