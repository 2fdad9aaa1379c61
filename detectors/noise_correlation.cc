#include "noise_correlation.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace blink {

namespace {

// The strongest correlation at any lag but zero.
float largest_correlation(const NoiseCorrelation& c) {
  constexpr int centre = NoiseCorrelation::kReach * NoiseCorrelation::kSide + NoiseCorrelation::kReach;
  float largest = 0;
  for (int k = 0; k < NoiseCorrelation::kSide * NoiseCorrelation::kSide; ++k)
    if (k != centre) largest = std::max(largest, std::abs(c.rho[k]));
  return largest;
}

}  // namespace

bool NoiseCorrelation::white() const { return largest_correlation(*this) == 0; }

double NoiseCorrelation::convolution_factor(const Image& kernel) const {
  // sum over lags of rho(lag) times the kernel's autocorrelation at that lag.
  double white = 0, total = 0;
  for (int y = 0; y < kernel.height; ++y)
    for (int x = 0; x < kernel.width; ++x) {
      const double k = kernel.at(x, y);
      if (k == 0) continue;
      white += k * k;
      for (int dy = -kReach; dy <= kReach; ++dy)
        for (int dx = -kReach; dx <= kReach; ++dx)
          if (kernel.contains(x + dx, y + dy)) total += at(dx, dy) * k * kernel.at(x + dx, y + dy);
    }
  return white > 0 && total > 0 ? total / white : 1.0;
}

NoiseCorrelation measure_noise_correlation(const Image& image, const Image& variance, const Mask& mask,
                                           int row_stride) {
  const int w = image.width, h = image.height, r = NoiseCorrelation::kReach, side = NoiseCorrelation::kSide;
  // The structure function, half the mean squared difference at each lag, is
  // blind to what the background left (a halo, an offset) where a product of
  // values is not. Lags dy > 0, or dy == 0 and dx > 0, and one far lag along
  // each axis where the noise is taken as independent: rho = 1 - g(lag) / g(far).
  constexpr int kFar = 6;
  constexpr float kNotSky = 1e30f;
  // image / sqrt(variance) of one row, kNotSky off the sky (masked, or a source).
  auto load_row = [&](int y, std::vector<float>& z) {
    z.resize(size_t(w));
    for (int x = 0; x < w; ++x) {
      size_t i = size_t(y) * w + x;
      float v = variance.pixels[i], zi = v > 0 ? image.pixels[i] / std::sqrt(v) : kNotSky;
      z[size_t(x)] = mask.pixels[i] || !(std::abs(zi) < 3.0f) ? kNotSky : zi;
    }
  };
  double sum[side * side] = {}, count[side * side] = {}, far_sum = 0, far_count = 0;
  std::vector<float> rows[r + 1], far_row;
  for (int y = 0; y + kFar < h; y += row_stride) {
    for (int dy = 0; dy <= r; ++dy) load_row(y + dy, rows[dy]);
    load_row(y + kFar, far_row);
    const std::vector<float>& z = rows[0];
    for (int x = r; x + kFar < w; ++x) {
      const float z0 = z[size_t(x)];
      if (z0 == kNotSky) continue;
      for (int dy = 0; dy <= r; ++dy)
        for (int dx = dy == 0 ? 1 : -r; dx <= r; ++dx) {
          const float z1 = rows[dy][size_t(x + dx)];
          if (z1 == kNotSky) continue;
          const int k = (dy + r) * side + dx + r;
          sum[k] += double(z0 - z1) * (z0 - z1);
          count[k] += 1;
        }
      for (float z1 : {z[size_t(x + kFar)], far_row[size_t(x)]})
        if (z1 != kNotSky) far_sum += double(z0 - z1) * (z0 - z1), far_count += 1;
    }
  }
  NoiseCorrelation out;
  if (far_count < 100 || far_sum <= 0) return out;  // too little sky to say: assume white
  const double far = far_sum / far_count;
  for (int dy = 0; dy <= r; ++dy)
    for (int dx = -r; dx <= r; ++dx) {
      if (dy == 0 && dx <= 0) continue;
      const int k = (dy + r) * side + dx + r;
      float c = count[k] > 0 ? float(1.0 - sum[k] / count[k] / far) : 0.0f;
      out.rho[k] = c;
      out.rho[(-dy + r) * side - dx + r] = c;
    }
  // Resampling and coadding correlate noise over a pixel or two, the faster
  // the weaker (a Gaussian correlation has rho(2) = rho(1)^4). Correlation
  // that persists at two pixels is unresolved stars or nebulosity, which in a
  // crowded field fill every "sky" pixel: not noise, so assume white.
  for (auto [x1, y1, x2, y2] : {std::array{1, 0, 2, 0}, std::array{0, 1, 0, 2}}) {
    const float r1 = out.at(x1, y1), r2 = out.at(x2, y2);
    if (r2 > std::pow(std::max(r1, 0.0f), 4.0f) + 0.1f) return NoiseCorrelation();
  }
  // Below 0.02 (four times the error of a 2048-pixel frame) it is white noise.
  return largest_correlation(out) < 0.02f ? NoiseCorrelation() : out;
}

}  // namespace blink
