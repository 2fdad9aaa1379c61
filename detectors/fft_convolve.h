// Convolution of a whole image with a small kernel through FFTW (single
// precision). Plans are made once per padded size and reused for every
// exposure; only plan creation is serialised, execution runs concurrently.
#pragma once

#include "image.h"

namespace blink {

// `kernel` has odd sides and its centre pixel is the origin. Pixels within a
// kernel half-width of the border see zero padding beyond it: mask them.
Image fft_convolve(const Image& image, const Image& kernel, int threads);

// The smallest n' >= n whose only prime factors are 2, 3, 5 and 7.
int fast_fft_size(int n);

}  // namespace blink
