// Small spatial filters used across the pipeline.
#pragma once

#include <vector>

#include "image.h"

namespace blink {

// Unit-sum sampled Gaussian of the given sigma, truncated at ~4 sigma.
std::vector<float> gaussian_kernel_1d(double sigma);

// Separable convolution with a symmetric 1-D kernel along x then y.
// Edges are handled by renormalising the kernel over the pixels present.
Image separable_convolve(const Image& in, const std::vector<float>& kx, const std::vector<float>& ky,
                         int threads);

Image gaussian_smooth(const Image& in, double sigma, int threads);

// Sets `bit` on every pixel within `radius` (Chebyshev) of a pixel that has any of `source_bits`.
void dilate_mask(Mask& mask, uint8_t source_bits, uint8_t bit, int radius);

}  // namespace blink
