// Sky background and noise: a mesh of sigma-clipped statistics, smoothed and
// interpolated to every pixel (the SExtractor approach).
#pragma once

#include "image.h"

namespace blink {

struct BackgroundMap {
  Image level;  // sky level per pixel
  Image rms;    // sky noise (1 sigma) per pixel, sky + read noise, no source photons
  float global_rms = 0;
};

// Estimates background and noise on `image`, ignoring masked pixels.
// `mesh` is the cell side in pixels; cells with too few good pixels borrow
// from their neighbours. Robust to stars and galaxies covering part of a cell.
BackgroundMap estimate_background(const Image& image, const Mask& mask, int mesh, int threads);

// Clipped median and standard deviation of a sample (modified in place).
// Returns false when fewer than 5 values remain.
bool clipped_stats(float* values, size_t n, float& median, float& sigma, int iterations = 3,
                   float kappa = 3.0f);

}  // namespace blink
