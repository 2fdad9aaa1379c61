#include "fft_convolve.h"

#include <fftw3.h>

#include <algorithm>
#include <complex>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>

namespace blink {
namespace {

// FFTW's planner is not thread-safe; plans, once made, are.
std::mutex& planner_mutex() {
  static std::mutex m;
  return m;
}

struct PlanPair {
  fftwf_plan forward = nullptr;
  fftwf_plan backward = nullptr;
};

struct FftwBuffer {
  float* real = nullptr;
  fftwf_complex* spectrum = nullptr;
  FftwBuffer(int w, int h) {
    real = fftwf_alloc_real(size_t(w) * h);
    spectrum = fftwf_alloc_complex(size_t(w / 2 + 1) * h);
  }
  ~FftwBuffer() {
    fftwf_free(real);
    fftwf_free(spectrum);
  }
  FftwBuffer(const FftwBuffer&) = delete;
  FftwBuffer& operator=(const FftwBuffer&) = delete;
};

// Plans live for the life of the process: a survey uses a handful of sizes.
const PlanPair& plans_for(int w, int h, int threads) {
  static std::map<std::tuple<int, int, int>, PlanPair> cache;
  static bool threads_ready = false;
  std::lock_guard<std::mutex> lock(planner_mutex());
  auto key = std::make_tuple(w, h, threads);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  if (!threads_ready) {
    fftwf_init_threads();
    threads_ready = true;
  }
  fftwf_plan_with_nthreads(std::max(1, threads));
  FftwBuffer scratch(w, h);
  PlanPair p;
  // Large transforms run every exposure: measuring once (about a second per
  // size, on scratch buffers) buys ~1.5x on every later execution. Small ones
  // are cheap either way and appear in many sizes, so they are estimated.
  const unsigned flags = size_t(w) * h >= size_t(512) * 512 ? FFTW_MEASURE : FFTW_ESTIMATE;
  p.forward = fftwf_plan_dft_r2c_2d(h, w, scratch.real, scratch.spectrum, flags);
  p.backward = fftwf_plan_dft_c2r_2d(h, w, scratch.spectrum, scratch.real, flags);
  return cache.emplace(key, p).first->second;
}

}  // namespace

Fft2d::Fft2d(int width, int height, int threads)
    : w_(width), h_(height), plans_(&plans_for(width, height, threads)) {}

void Fft2d::forward(const float* real, std::complex<float>* spectrum) const {
  auto* p = static_cast<const PlanPair*>(plans_);
  fftwf_execute_dft_r2c(p->forward, const_cast<float*>(real), reinterpret_cast<fftwf_complex*>(spectrum));
}

void Fft2d::inverse(std::complex<float>* spectrum, float* real) const {
  auto* p = static_cast<const PlanPair*>(plans_);
  fftwf_execute_dft_c2r(p->backward, reinterpret_cast<fftwf_complex*>(spectrum), real);
  const float scale = 1.0f / (float(w_) * float(h_));
  for (size_t i = 0, n = size_t(w_) * h_; i < n; ++i) real[i] *= scale;
}

template <typename T>
FftBuffer<T>::FftBuffer(size_t n) : p_(static_cast<T*>(fftwf_malloc(sizeof(T) * std::max<size_t>(n, 1)))), n_(n) {}
template <typename T>
FftBuffer<T>::~FftBuffer() {
  fftwf_free(p_);
}
template class FftBuffer<float>;
template class FftBuffer<std::complex<float>>;

int fast_fft_size(int n) {
  for (int m = std::max(n, 1);; ++m) {
    int r = m;
    for (int p : {2, 3, 5, 7})
      while (r % p == 0) r /= p;
    if (r == 1) return m;
  }
}

Image fft_convolve(const Image& image, const Image& kernel, int threads) {
  const int w = image.width, h = image.height;
  const int kw = kernel.width, kh = kernel.height;
  const int hx = kw / 2, hy = kh / 2;
  const int pw = fast_fft_size(w + kw), ph = fast_fft_size(h + kh);
  const PlanPair& plans = plans_for(pw, ph, threads);

  FftwBuffer img(pw, ph), ker(pw, ph);
  std::fill(img.real, img.real + size_t(pw) * ph, 0.0f);
  std::fill(ker.real, ker.real + size_t(pw) * ph, 0.0f);
  for (int y = 0; y < h; ++y) std::copy(image.row(y), image.row(y) + w, img.real + size_t(y) * pw);
  // Kernel centre at the origin, negative offsets wrapped around.
  for (int y = 0; y < kh; ++y)
    for (int x = 0; x < kw; ++x) {
      int xx = (x - hx + pw) % pw, yy = (y - hy + ph) % ph;
      ker.real[size_t(yy) * pw + xx] = kernel.at(x, y);
    }
  fftwf_execute_dft_r2c(plans.forward, img.real, img.spectrum);
  fftwf_execute_dft_r2c(plans.forward, ker.real, ker.spectrum);
  const size_t nspec = size_t(pw / 2 + 1) * ph;
  const float scale = 1.0f / (float(pw) * float(ph));
  auto* a = reinterpret_cast<std::complex<float>*>(img.spectrum);
  auto* b = reinterpret_cast<std::complex<float>*>(ker.spectrum);
  for (size_t i = 0; i < nspec; ++i) a[i] *= b[i] * scale;
  fftwf_execute_dft_c2r(plans.backward, img.spectrum, img.real);

  Image out(w, h);
  for (int y = 0; y < h; ++y) std::copy(img.real + size_t(y) * pw, img.real + size_t(y) * pw + w, out.row(y));
  return out;
}

}  // namespace blink
