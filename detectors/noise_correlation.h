// How an image's noise is correlated between neighbouring pixels. Coadds,
// drizzled mosaics and resampled references all have correlated noise; a
// kernel then changes its variance by more than the kernel's sum of squares,
// and noise models that assume independent pixels come out too low.
#pragma once

#include "image.h"

namespace blink {

struct NoiseCorrelation {
  static constexpr int kReach = 2;  // lags measured: -kReach..kReach on each axis
  static constexpr int kSide = 2 * kReach + 1;
  // rho[(dy + kReach) * kSide + dx + kReach]: correlation at lag (dx, dy); 1 at (0, 0).
  float rho[kSide * kSide] = {};
  NoiseCorrelation() { rho[kReach * kSide + kReach] = 1; }

  float at(int dx, int dy) const { return rho[(dy + kReach) * kSide + dx + kReach]; }
  bool white() const;  // no correlation at any lag
  // Variance of this noise convolved with `kernel`, over what independent
  // pixels of the same variance give (kernel's sum of squares): 1 for white noise.
  double convolution_factor(const Image& kernel) const;
};

// Measured on empty sky: pixels of both lags unmasked and within 3 sigma of
// zero in image / sqrt(variance). White when the "sky" is not empty (a
// crowded field: correlation persisting over two pixels). Every `row_stride`-th row is used: a
// 2048-pixel-wide image gives some 10^5 pairs per lag, an error of about 0.005.
NoiseCorrelation measure_noise_correlation(const Image& image, const Image& variance, const Mask& mask,
                                           int row_stride = 16);

}  // namespace blink
