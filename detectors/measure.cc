#include "measure.h"

#include <algorithm>
#include <cmath>

#include "moments.h"

namespace blink {

PsfFlux psf_fit_flux(const Image& image, const Image& variance, const Mask* mask, uint8_t skip,
                     double x, double y, double fwhm) {
  PsfFlux out;
  const double s = fwhm / 2.3548;
  const double norm = 1.0 / (2 * M_PI * s * s);
  const int r = std::max(2, int(std::ceil(2 * fwhm)));
  const int cx = int(std::lround(x)), cy = int(std::lround(y));
  double spd = 0, spp = 0;
  for (int yy = cy - r; yy <= cy + r; ++yy)
    for (int xx = cx - r; xx <= cx + r; ++xx) {
      if (!image.contains(xx, yy)) continue;
      if (mask && (mask->at(xx, yy) & skip)) continue;
      double v = variance.at(xx, yy);
      if (!(v > 0)) continue;
      double dx = xx - x, dy = yy - y;
      double p = norm * std::exp(-0.5 * (dx * dx + dy * dy) / (s * s));
      spd += p * image.at(xx, yy) / v;
      spp += p * p / v;
    }
  if (!(spp > 0)) return out;
  out.flux = spd / spp;
  out.error = std::sqrt(1.0 / spp);
  out.ok = true;
  return out;
}

void measure_candidate(const DifferenceImage& d, double corr, double apcor, Candidate& c) {
  const double fwhm = d.psf_fwhm;
  // Centroid and shape from adaptive moments, seeded at the peak with the PSF's width.
  Moments m = adaptive_moments(d.diff, nullptr, c.x, c.y, fwhm / 2.3548);
  if (m.ok && std::hypot(m.x - c.x, m.y - c.y) < fwhm) {
    c.x = m.x, c.y = m.y;
    c.fwhm = m.fwhm;
    c.elongation = m.elongation;
  } else {
    c.fwhm = 0;
    c.elongation = 1;
  }
  c.fwhm_ratio = fwhm > 0 ? c.fwhm / fwhm : 0;

  const uint8_t skip = kMaskEdge | kMaskNoData;
  PsfFlux f = psf_fit_flux(d.diff, d.variance, &d.mask, skip, c.x, c.y, fwhm);
  c.flux = f.flux * apcor / d.flux_scale;
  c.flux_err = f.error * corr * apcor / d.flux_scale;
  c.snr = c.flux_err > 0 ? c.flux / c.flux_err : 0;

  // Peak relative to what a PSF of this flux would give: cosmic rays and hot pixels are spikier.
  int px = std::clamp(int(std::lround(c.x)), 0, d.diff.width - 1);
  int py = std::clamp(int(std::lround(c.y)), 0, d.diff.height - 1);
  double s = fwhm / 2.3548;
  double expected_peak = f.flux * std::exp(-0.5 * ((px - c.x) * (px - c.x) + (py - c.y) * (py - c.y)) / (s * s)) /
                         (2 * M_PI * s * s);
  c.sharpness = expected_peak > 0 ? d.diff.at(px, py) / expected_peak : 0;

  // Negative pixels nearby betray misalignment dipoles and over-subtracted stars.
  const int r = std::max(3, int(std::ceil(2 * fwhm)));
  int total = 0, negative = 0;
  bool on_mask = false;
  for (int y = py - r; y <= py + r; ++y)
    for (int x = px - r; x <= px + r; ++x) {
      if (!d.diff.contains(x, y)) continue;
      if ((x - c.x) * (x - c.x) + (y - c.y) * (y - c.y) > r * r) continue;
      uint8_t mb = d.mask.at(x, y);
      if (mb && (x - c.x) * (x - c.x) + (y - c.y) * (y - c.y) <= fwhm * fwhm) on_mask = true;
      if (mb) continue;
      ++total;
      double sig = std::sqrt(std::max(1e-12f, d.variance.at(x, y)));
      if (d.diff.at(x, y) < -3.0 * sig) ++negative;
    }
  c.negative_fraction = total ? double(negative) / total : 0;
  c.on_mask = on_mask;
}

}  // namespace blink
