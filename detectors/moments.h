// Adaptive Gaussian-weighted moments (Bernstein & Jarvis 2002): a robust
// centroid, size and shape for a compact source, insensitive to neighbours.
#pragma once

#include "image.h"

namespace blink {

struct Moments {
  bool ok = false;
  double x = 0, y = 0;     // centroid, pixels
  double fwhm = 0;         // of the source itself (weight deconvolved), pixels
  double elongation = 1;   // major/minor axis ratio
  double weight_sigma = 0; // final weight width, pixels
};

// Iterates the weight width towards the source's own size, starting from
// `sigma0`. Masked pixels (mask != 0) are skipped when `mask` is given.
// `pedestal` is subtracted from every pixel first: the local floor under a
// star that sits on a galaxy, which would otherwise keep the weight growing.
Moments adaptive_moments(const Image& img, const Mask* mask, double x0, double y0, double sigma0,
                         int iterations = 8, double pedestal = 0);

}  // namespace blink
