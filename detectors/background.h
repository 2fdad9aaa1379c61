// Sky background and noise: a mesh of sigma-clipped statistics, smoothed and
// interpolated to every pixel (the SExtractor approach).
#pragma once

#include "image.h"

namespace blink {

struct BackgroundMap {
  Image level;  // sky level per pixel
  // Pixel-to-pixel noise (1 sigma) per pixel, from differences of neighbouring
  // pixels: smooth structure (unresolved stars, galaxies, gradients) cancels
  // in a difference, the noise does not. This is what detection thresholds need.
  Image rms;
  float global_rms = 0;  // median of the cells' rms
};

// Estimates background and noise on `image`, ignoring masked pixels.
// `mesh` is the cell side in pixels; cells with too few good pixels borrow
// from their neighbours. Robust to stars and galaxies covering part of a cell.
BackgroundMap estimate_background(const Image& image, const Mask& mask, int mesh, int threads);

// Clipped median and standard deviation of a sample (modified in place).
// Returns false when fewer than 5 values remain. With `lower_half`, sigma
// comes from the half below the median only: unresolved stars in a crowded
// field skew the upper half, the sky noise shows in the lower.
bool clipped_stats(float* values, size_t n, float& median, float& sigma, int iterations = 3,
                   float kappa = 3.0f, bool lower_half = false);

}  // namespace blink
