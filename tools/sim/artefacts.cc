#include "artefacts.h"

#include <algorithm>
#include <cmath>

namespace blink::sim {
namespace {

constexpr double kPixelsPerHotPixel = 20000;
constexpr double kHotAduLo = 200, kHotAduHi = 30000;  // in kDarkReferenceS
constexpr double kWarmAduLo = 20, kWarmAduHi = 150;
constexpr double kDarkReferenceS = 30;
constexpr double kPixelsPerCosmicRay = 30000;  // per kDarkReferenceS

// Spills `amount` from pixel `from` onwards in direction `dir`, filling each
// pixel up to `saturate`. Charge that reaches the edge is lost off the chip.
void spill(std::vector<double>& column, int from, int dir, double amount, double saturate) {
  for (int i = from; amount > 0 && i >= 0 && i < int(column.size()); i += dir) {
    double room = saturate - column[size_t(i)];
    if (room <= 0) continue;
    double add = std::min(room, amount);
    column[size_t(i)] += add;
    amount -= add;
  }
}

void bleed_column(std::vector<double>& column, double saturate) {
  const int n = int(column.size());
  for (int y = 0; y < n;) {
    if (column[size_t(y)] < saturate) {
      ++y;
      continue;
    }
    const int start = y;
    double excess = 0;
    for (; y < n && column[size_t(y)] >= saturate; ++y) {
      excess += column[size_t(y)] - saturate;
      column[size_t(y)] = saturate;
    }
    spill(column, y, +1, 0.5 * excess, saturate);
    spill(column, start - 1, -1, 0.5 * excess, saturate);
  }
}

// Columns holding at least one pixel at or above `saturate`.
std::vector<int> saturated_columns(const Image& image, double saturate) {
  std::vector<uint8_t> hit(size_t(image.width), 0);
  const float s = float(saturate);
  for (int y = 0; y < image.height; ++y) {
    const float* row = image.row(y);
    for (int x = 0; x < image.width; ++x) hit[size_t(x)] |= uint8_t(row[x] >= s);
  }
  std::vector<int> cols;
  for (int x = 0; x < image.width; ++x) {
    if (hit[size_t(x)]) cols.push_back(x);
  }
  return cols;
}

std::vector<double> read_column(const Image& image, int x) {
  std::vector<double> c(size_t(image.height));
  for (int y = 0; y < image.height; ++y) c[size_t(y)] = image.at(x, y);
  return c;
}

}  // namespace

DetectorDefects make_defects(uint64_t seed, int ccd, int width, int height) {
  Rng rng(stream_seed(seed, Stream::kDefects, {ccd}));
  DetectorDefects d;
  const double npix = double(width) * height;
  const int nhot = int(std::lround(npix / kPixelsPerHotPixel * rng.uniform(0.8, 1.2)));
  for (int i = 0; i < nhot; ++i) {
    d.hot.push_back({rng.uniform_int(width), rng.uniform_int(height),
                     rng.log_uniform(kHotAduLo, kHotAduHi) / kDarkReferenceS});
  }
  // A charge trap lights the column from the trap to the readout end (row 0).
  const int nwarm = 1 + rng.uniform_int(2);
  for (int i = 0; i < nwarm; ++i) {
    int y1 = height / 4 + rng.uniform_int(height - height / 4);
    d.warm.push_back(
        {rng.uniform_int(width), 0, y1, rng.uniform(kWarmAduLo, kWarmAduHi) / kDarkReferenceS});
  }
  return d;
}

void add_dark_current(const DetectorDefects& defects, double exptime_s, Image& expected) {
  for (const WarmColumn& w : defects.warm) {
    for (int y = w.y0; y <= w.y1; ++y) expected.at(w.x, y) += float(w.rate_adu_s * exptime_s);
  }
  for (const HotPixel& h : defects.hot) expected.at(h.x, h.y) += float(h.rate_adu_s * exptime_s);
}

std::vector<CosmicRay> draw_cosmic_rays(Rng& rng, int width, int height, double exptime_s) {
  const double mean = double(width) * height / kPixelsPerCosmicRay * exptime_s / kDarkReferenceS;
  const int n = int(rng.poisson(mean));
  std::vector<CosmicRay> rays;
  rays.reserve(size_t(n));
  for (int i = 0; i < n; ++i) {
    CosmicRay r;
    r.x = rng.uniform(0, width - 1);
    r.y = rng.uniform(0, height - 1);
    // Mostly short: most hits arrive steeply and light one or two pixels.
    double u = rng.uniform();
    r.length = 1 + 11 * u * u;
    r.width = rng.uniform(0.5, 2.0);
    r.angle_rad = rng.uniform(0, M_PI);
    r.peak_adu = rng.log_uniform(300, 30000);
    rays.push_back(r);
  }
  return rays;
}

double add_cosmic_ray(const CosmicRay& ray, Image& image) {
  // Gaussian cross-section around a segment, pixel-integrated on a 3x3 grid,
  // then scaled so the brightest pixel is peak_adu.
  const double half = 0.5 * (ray.length - 1), sigma = ray.width / 2.3548;
  const double ux = std::cos(ray.angle_rad), uy = std::sin(ray.angle_rad);
  const int reach = int(std::ceil(half + 3 * sigma)) + 1;
  const int x0 = std::max(0, int(ray.x) - reach),
            x1 = std::min(image.width - 1, int(ray.x) + reach);
  const int y0 = std::max(0, int(ray.y) - reach),
            y1 = std::min(image.height - 1, int(ray.y) + reach);
  if (x0 > x1 || y0 > y1) return 0;
  const int sw = x1 - x0 + 1;
  std::vector<double> stamp(size_t(sw) * size_t(y1 - y0 + 1), 0.0);
  double peak = 0;
  for (int y = y0; y <= y1; ++y) {
    for (int x = x0; x <= x1; ++x) {
      double sum = 0;
      for (int j = -1; j <= 1; ++j) {
        for (int i = -1; i <= 1; ++i) {
          double dx = x + i / 3.0 - ray.x, dy = y + j / 3.0 - ray.y;
          double along = std::clamp(dx * ux + dy * uy, -half, half);
          double ex = dx - along * ux, ey = dy - along * uy;
          sum += std::exp(-0.5 * (ex * ex + ey * ey) / (sigma * sigma));
        }
      }
      double& v = stamp[size_t(y - y0) * size_t(sw) + size_t(x - x0)];
      v = sum / 9;
      peak = std::max(peak, v);
    }
  }
  if (peak <= 0) return 0;
  const double scale = ray.peak_adu / peak;
  double total = 0;
  for (int y = y0; y <= y1; ++y) {
    for (int x = x0; x <= x1; ++x) {
      double v = stamp[size_t(y - y0) * size_t(sw) + size_t(x - x0)] * scale;
      if (v < 0.5) continue;  // the tails of a sharp track are below any noise
      image.at(x, y) += float(v);
      total += v;
    }
  }
  return total;
}

void bleed_and_clip(Image& image, double saturate) {
  for (int x : saturated_columns(image, saturate)) {
    std::vector<double> column = read_column(image, x);
    bleed_column(column, saturate);
    for (int y = 0; y < image.height; ++y) image.at(x, y) = float(column[size_t(y)]);
  }
  const float s = float(saturate);
  for (float& v : image.pixels) v = std::min(v, s);
}

std::vector<SaturatedRun> predict_saturation(const Image& image, double saturate) {
  std::vector<SaturatedRun> runs;
  for (int x : saturated_columns(image, saturate)) {
    std::vector<double> column = read_column(image, x);
    bleed_column(column, saturate);
    for (int y = 0; y < image.height;) {
      if (column[size_t(y)] < saturate) {
        ++y;
        continue;
      }
      int start = y;
      while (y < image.height && column[size_t(y)] >= saturate) ++y;
      runs.push_back({x, start, y - 1});
    }
  }
  return runs;
}

bool near_saturation(const std::vector<SaturatedRun>& runs, double x, double y, double distance) {
  for (const SaturatedRun& r : runs) {
    double dx = x - r.x;
    double dy = y < r.y0 ? r.y0 - y : (y > r.y1 ? y - r.y1 : 0.0);
    if (dx * dx + dy * dy < distance * distance) return true;
  }
  return false;
}

}  // namespace blink::sim
