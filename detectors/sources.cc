#include "sources.h"

#include <algorithm>
#include <cmath>

#include "filters.h"
#include "moments.h"
#include "segment.h"

namespace blink {
namespace {

// Median of the pixels between radii r_in and r_out around (cx, cy).
double annulus_median(const Image& image, int cx, int cy, int r_in, int r_out) {
  std::vector<float> ring;
  for (int y = cy - r_out; y <= cy + r_out; ++y)
    for (int x = cx - r_out; x <= cx + r_out; ++x) {
      int d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
      if (d2 < r_in * r_in || d2 > r_out * r_out || !image.contains(x, y)) continue;
      ring.push_back(image.at(x, y));
    }
  if (ring.empty()) return 0;
  std::nth_element(ring.begin(), ring.begin() + ring.size() / 2, ring.end());
  return ring[ring.size() / 2];
}

// Moments of the source at a peak. A star on a galaxy or on intracluster
// light sits on a pedestal the mesh background does not remove, and the
// weight then grows without end: measure it again above the local floor.
Moments source_moments(const Image& image, int px, int py) {
  Moments m = adaptive_moments(image, nullptr, px, py, 1.5);
  if (m.ok) return m;
  double floor = annulus_median(image, px, py, 6, 10);
  if (floor > 0) m = adaptive_moments(image, nullptr, px, py, 1.5, 8, floor);
  return m;
}

}  // namespace

std::vector<Source> extract_sources(const Image& image, const Image& rms, const Mask& mask,
                                    const SourceOptions& options, int threads) {
  const int w = image.width, h = image.height;
  auto k = gaussian_kernel_1d(options.smooth_sigma);
  double k2 = 0;
  for (float v : k) k2 += double(v) * v;
  // White noise smoothed by the separable kernel keeps sum(k^2) of its variance per axis.
  const float noise_factor = float(k2);
  Image smooth = separable_convolve(image, k, k, threads);
  Image snr(w, h);
  for (size_t i = 0; i < snr.size(); ++i) {
    float r = rms.pixels[i] * noise_factor;
    snr.pixels[i] = r > 0 ? smooth.pixels[i] / r : 0;
  }
  const uint8_t skip = kMaskNoData | kMaskCosmicRay | kMaskBadPixel;
  auto segments = find_peaks(snr, float(options.threshold), mask, skip, 3);
  std::erase_if(segments, [&](const Segment& s) { return s.npix < options.min_pixels; });
  std::sort(segments.begin(), segments.end(), [](const Segment& a, const Segment& b) { return a.peak > b.peak; });
  if (segments.size() > options.max_sources) segments.resize(options.max_sources);

  std::vector<Source> out;
  out.reserve(segments.size());
  for (const Segment& s : segments) {
    Moments m = source_moments(image, s.peak_x, s.peak_y);
    Source src;
    src.x = m.ok ? m.x : s.peak_x;
    src.y = m.ok ? m.y : s.peak_y;
    src.fwhm = m.ok ? m.fwhm : 0;
    src.elongation = m.ok ? m.elongation : 1;
    src.peak = image.at(s.peak_x, s.peak_y);
    double r_ap = std::clamp(m.ok ? 1.5 * m.fwhm : 3.0, 3.0, 12.0);
    int r = int(std::ceil(r_ap));
    double flux = 0, var = 0;
    int cx = int(std::lround(src.x)), cy = int(std::lround(src.y));
    for (int y = cy - r; y <= cy + r; ++y)
      for (int x = cx - r; x <= cx + r; ++x) {
        if (!image.contains(x, y)) {
          src.near_edge = true;
          continue;
        }
        if ((x - src.x) * (x - src.x) + (y - src.y) * (y - src.y) > r_ap * r_ap) continue;
        flux += image.at(x, y);
        var += double(rms.at(x, y)) * rms.at(x, y);
        if (mask.at(x, y) & kMaskSaturated) src.saturated = true;
        if (mask.at(x, y) & (kMaskNoData | kMaskEdge)) src.near_edge = true;
      }
    if (s.touches_mask) src.saturated = src.saturated || (mask.at(s.peak_x, s.peak_y) & kMaskSaturated);
    if (src.x < options.edge || src.y < options.edge || src.x >= w - options.edge || src.y >= h - options.edge)
      src.near_edge = true;
    src.flux = flux;
    src.snr = var > 0 ? flux / std::sqrt(var) : 0;
    out.push_back(src);
  }

  // Isolation through a coarse grid of buckets: each source looks at its neighbourhood only.
  const int cell = 16;
  const int gx = (w + cell - 1) / cell, gy = (h + cell - 1) / cell;
  std::vector<std::vector<int>> grid(size_t(gx) * gy);
  for (size_t i = 0; i < out.size(); ++i) {
    int bx = std::clamp(int(out[i].x) / cell, 0, gx - 1), by = std::clamp(int(out[i].y) / cell, 0, gy - 1);
    grid[size_t(by) * gx + bx].push_back(int(i));
  }
  for (size_t i = 0; i < out.size(); ++i) {
    int bx = std::clamp(int(out[i].x) / cell, 0, gx - 1), by = std::clamp(int(out[i].y) / cell, 0, gy - 1);
    double best = 1e9;
    for (int dy = -2; dy <= 2; ++dy)
      for (int dx = -2; dx <= 2; ++dx) {
        int x = bx + dx, y = by + dy;
        if (x < 0 || y < 0 || x >= gx || y >= gy) continue;
        for (int j : grid[size_t(y) * gx + x]) {
          if (size_t(j) == i) continue;
          double d = std::hypot(out[j].x - out[i].x, out[j].y - out[i].y);
          best = std::min(best, d);
        }
      }
    out[i].isolation = best;
  }
  return out;
}

namespace {

// First guess at the stars' width. In a star field most bright round
// sources are stars and the median is theirs. Where the widths spread widely
// (a galaxy cluster, a deep extragalactic field) galaxies dominate, and the
// stars are the narrowest tight clump: nothing real is sharper than the PSF.
double stellar_locus(std::vector<double> f) {
  std::sort(f.begin(), f.end());
  const size_t n = f.size();
  const double med = f[n / 2];
  const double spread = (f[3 * n / 4] - f[n / 4]) / med;
  if (spread < 0.4) return med;
  const size_t need = std::max<size_t>(5, n / 20);
  for (size_t i = 0; i + need <= n; ++i) {
    size_t end = std::upper_bound(f.begin() + i, f.end(), 1.3 * f[i]) - f.begin();
    if (end - i >= need) return f[(i + end) / 2];
  }
  return med;
}

}  // namespace

PsfEstimate estimate_psf(const std::vector<Source>& sources) {
  std::vector<const Source*> good;
  for (const Source& s : sources) {
    if (s.saturated || s.near_edge || s.snr < 20 || s.fwhm <= 0.8 || s.elongation > 1.5) continue;
    good.push_back(&s);
  }
  PsfEstimate est;
  if (good.size() < 3) return est;
  std::vector<double> f;
  for (auto* s : good) f.push_back(s->fwhm);
  double med = stellar_locus(f);
  // Second pass: isolated stars within 25% of the first guess (drops galaxies and blends).
  std::vector<double> fw, el;
  for (auto* s : good) {
    if (std::abs(s->fwhm - med) > 0.25 * med || s->isolation < 3 * med) continue;
    fw.push_back(s->fwhm);
    el.push_back(s->elongation);
  }
  if (fw.size() < 3) {
    est.fwhm = med;
    est.stars = int(good.size());
    return est;
  }
  std::nth_element(fw.begin(), fw.begin() + fw.size() / 2, fw.end());
  std::nth_element(el.begin(), el.begin() + el.size() / 2, el.end());
  est.fwhm = fw[fw.size() / 2];
  est.elongation = el[el.size() / 2];
  est.stars = int(fw.size());
  return est;
}

}  // namespace blink
