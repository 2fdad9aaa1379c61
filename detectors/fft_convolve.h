// Convolution of a whole image with a small kernel through FFTW (single
// precision). Plans are made once per padded size and reused for every
// exposure; only plan creation is serialised, execution runs concurrently.
#pragma once

#include <complex>

#include "image.h"

namespace blink {

// `kernel` has odd sides and its centre pixel is the origin. Pixels within a
// kernel half-width of the border see zero padding beyond it: mask them.
Image fft_convolve(const Image& image, const Image& kernel, int threads);

// The smallest n' >= n whose only prime factors are 2, 3, 5 and 7.
int fast_fft_size(int n);

// A real 2-D transform of one size, with FFTW plans shared process-wide.
// Buffers come from the object (FFTW-aligned) so any thread may execute.
// `spectrum` holds (width/2+1) x height complex values, row-major.
class Fft2d {
 public:
  Fft2d(int width, int height, int threads);
  int width() const { return w_; }
  int height() const { return h_; }
  size_t spectrum_size() const { return size_t(w_ / 2 + 1) * h_; }
  // Real (width x height, zero-padded by the caller) -> spectrum.
  void forward(const float* real, std::complex<float>* spectrum) const;
  // Spectrum -> real, scaled so that inverse(forward(x)) == x. Destroys `spectrum`.
  void inverse(std::complex<float>* spectrum, float* real) const;

 private:
  int w_, h_;
  const void* plans_;
};

// FFTW-aligned storage for real or complex arrays.
template <typename T>
class FftBuffer {
 public:
  explicit FftBuffer(size_t n);
  ~FftBuffer();
  FftBuffer(const FftBuffer&) = delete;
  FftBuffer& operator=(const FftBuffer&) = delete;
  T* data() { return p_; }
  const T* data() const { return p_; }
  T& operator[](size_t i) { return p_[i]; }
  const T& operator[](size_t i) const { return p_[i]; }
  size_t size() const { return n_; }

 private:
  T* p_;
  size_t n_;
};

}  // namespace blink
