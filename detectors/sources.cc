#include "sources.h"

#include <algorithm>
#include <cmath>

#include "filters.h"
#include "moments.h"
#include "segment.h"

namespace blink {

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
    Moments m = adaptive_moments(image, nullptr, s.peak_x, s.peak_y, 1.5);
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
  std::nth_element(f.begin(), f.begin() + f.size() / 2, f.end());
  double med = f[f.size() / 2];
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
