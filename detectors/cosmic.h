// Pixels sharper than the PSF allows: cosmic-ray hits and hot pixels. A real
// source is blurred by the atmosphere and optics; these are not.
#pragma once

#include "image.h"

namespace blink {

// Flags with `bit` every pixel of `image` (background subtracted, noise `rms`)
// whose excess over the median of its 8 neighbours is significant at
// `threshold` sigma and too large a share of its value for a PSF of
// `psf_fwhm` pixels; then grows the flags into adjacent bright pixels.
// Returns how many pixels were flagged.
int flag_sharp_pixels(const Image& image, const Image& rms, Mask& mask, double psf_fwhm, uint8_t bit,
                      double threshold = 5.0);

// Replaces every pixel carrying any of `bits` by the median of the unflagged
// pixels in its 5x5 neighbourhood, so convolution does not smear it.
void inpaint_masked(Image& image, const Mask& mask, uint8_t bits);

}  // namespace blink
