#include "filters.h"

#include <algorithm>
#include <cmath>

namespace blink {

std::vector<float> gaussian_kernel_1d(double sigma) {
  int half = std::max(1, int(std::ceil(4.0 * sigma)));
  std::vector<float> k(2 * half + 1);
  double sum = 0;
  for (int i = -half; i <= half; ++i) {
    double v = std::exp(-0.5 * i * i / (sigma * sigma));
    k[i + half] = float(v);
    sum += v;
  }
  for (float& v : k) v = float(v / sum);
  return k;
}

namespace {
// One pass along x of a symmetric kernel; the y pass runs it on the transposed access pattern.
void convolve_rows(const Image& in, Image& out, const std::vector<float>& k, int threads) {
  const int w = in.width, h = in.height, half = int(k.size() / 2);
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int y = 0; y < h; ++y) {
    const float* src = in.row(y);
    float* dst = out.row(y);
    for (int x = 0; x < w; ++x) {
      if (x >= half && x < w - half) {
        float s = 0;
        for (int i = -half; i <= half; ++i) s += k[i + half] * src[x + i];
        dst[x] = s;
      } else {
        float s = 0, ks = 0;
        for (int i = -half; i <= half; ++i) {
          int xx = x + i;
          if (xx < 0 || xx >= w) continue;
          s += k[i + half] * src[xx];
          ks += k[i + half];
        }
        dst[x] = ks > 0 ? s / ks : 0;
      }
    }
  }
}

void convolve_cols(const Image& in, Image& out, const std::vector<float>& k, int threads) {
  const int w = in.width, h = in.height, half = int(k.size() / 2);
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int y = 0; y < h; ++y) {
    float* dst = out.row(y);
    std::fill(dst, dst + w, 0.0f);
    float ks = 0;
    for (int i = -half; i <= half; ++i) {
      int yy = y + i;
      if (yy < 0 || yy >= h) continue;
      const float* src = in.row(yy);
      const float kv = k[i + half];
      ks += kv;
      for (int x = 0; x < w; ++x) dst[x] += kv * src[x];  // vectorises over x
    }
    if (ks > 0 && ks < 0.9999f) {
      for (int x = 0; x < w; ++x) dst[x] /= ks;
    }
  }
}
}  // namespace

Image separable_convolve(const Image& in, const std::vector<float>& kx, const std::vector<float>& ky,
                         int threads) {
  Image tmp(in.width, in.height), out(in.width, in.height);
  convolve_rows(in, tmp, kx, threads);
  convolve_cols(tmp, out, ky, threads);
  return out;
}

Image gaussian_smooth(const Image& in, double sigma, int threads) {
  auto k = gaussian_kernel_1d(sigma);
  return separable_convolve(in, k, k, threads);
}

void dilate_mask(Mask& mask, uint8_t source_bits, uint8_t bit, int radius) {
  if (radius <= 0) return;
  const int w = mask.width, h = mask.height;
  // Separable dilation: first mark along x into a scratch plane, then along y.
  Plane<uint8_t> rowpass(w, h, 0);
  for (int y = 0; y < h; ++y) {
    const uint8_t* m = mask.row(y);
    uint8_t* r = rowpass.row(y);
    int last = -1000000;
    for (int x = 0; x < w; ++x) {
      if (m[x] & source_bits) last = x;
      if (x - last <= radius) r[x] = 1;
    }
    last = 1000000;
    for (int x = w - 1; x >= 0; --x) {
      if (m[x] & source_bits) last = x;
      if (last - x <= radius) r[x] = 1;
    }
  }
  std::vector<int> last_down(w, -1000000), last_up(w, 1000000);
  for (int y = 0; y < h; ++y) {
    const uint8_t* r = rowpass.row(y);
    uint8_t* m = mask.row(y);
    for (int x = 0; x < w; ++x) {
      if (r[x]) last_down[x] = y;
      if (y - last_down[x] <= radius) m[x] |= bit;
    }
  }
  for (int y = h - 1; y >= 0; --y) {
    const uint8_t* r = rowpass.row(y);
    uint8_t* m = mask.row(y);
    for (int x = 0; x < w; ++x) {
      if (r[x]) last_up[x] = y;
      if (last_up[x] - y <= radius) m[x] |= bit;
    }
  }
}

}  // namespace blink
