// Alard-Lupton subtraction: fit the kernel that blurs the sharper image into
// the blurrier one, convolve, subtract.
#include <algorithm>
#include <cmath>

#include "fft_convolve.h"
#include "filters.h"
#include "measure.h"
#include "moments.h"
#include "noise_correlation.h"
#include "psf_match.h"
#include "subtraction.h"

namespace blink {
namespace {

// Stars good for fitting the kernel: bright, unsaturated, isolated, on clean pixels in both images.
std::vector<StampCentre> pick_stamps(const PreparedImage& sci, const Mask& ref_mask, int reach, size_t limit) {
  std::vector<const Source*> ok;
  for (const Source& s : sci.sources) {
    if (s.saturated || s.near_edge || s.snr < 25 || s.isolation < 1.5 * s.fwhm) continue;
    int x = int(std::lround(s.x)), y = int(std::lround(s.y));
    if (x - reach < 0 || y - reach < 0 || x + reach >= sci.image.width || y + reach >= sci.image.height) continue;
    bool clean = true;
    for (int dy = -reach / 2; dy <= reach / 2 && clean; dy += 2)
      for (int dx = -reach / 2; dx <= reach / 2 && clean; dx += 2)
        if (ref_mask.at(x + dx, y + dy) || (sci.mask.at(x + dx, y + dy) & ~kMaskCosmicRay)) clean = false;
    if (clean) ok.push_back(&s);
  }
  std::sort(ok.begin(), ok.end(), [](auto* a, auto* b) { return a->snr > b->snr; });
  // Bright first, but spread over the frame: take every k-th of a longer list.
  std::vector<StampCentre> out;
  size_t step = std::max<size_t>(1, ok.size() / (2 * limit));
  for (size_t i = 0; i < ok.size() && out.size() < limit; i += (i < limit ? 1 : step))
    out.push_back({int(std::lround(ok[i]->x)), int(std::lround(ok[i]->y))});
  return out;
}

// Total-over-Gaussian-fit flux of bright stars on `image`: the PSF's wings the fit misses.
double aperture_correction(const Image& image, const Image& variance, const std::vector<StampCentre>& stars,
                           double fwhm) {
  std::vector<double> ratios;
  const double r_ap = 3.0 * fwhm;
  for (const StampCentre& c : stars) {
    // Fit at the star's own sub-pixel centre: a rounded centre loses flux and biases the ratio.
    Moments m = adaptive_moments(image, nullptr, c.x, c.y, fwhm / 2.3548);
    if (!m.ok || std::hypot(m.x - c.x, m.y - c.y) > 1.0) continue;
    PsfFlux f = psf_fit_flux(image, variance, nullptr, 0, m.x, m.y, fwhm);
    if (!f.ok || f.flux <= 0) continue;
    double sum = 0;
    int r = int(std::ceil(r_ap));
    bool inside = true;
    for (int y = c.y - r; y <= c.y + r && inside; ++y)
      for (int x = c.x - r; x <= c.x + r; ++x) {
        if (!image.contains(x, y)) {
          inside = false;
          break;
        }
        if ((x - m.x) * (x - m.x) + (y - m.y) * (y - m.y) <= r_ap * r_ap) sum += image.at(x, y);
      }
    if (inside && sum > 0) ratios.push_back(sum / f.flux);
  }
  if (ratios.size() < 3) return 1.0;
  std::nth_element(ratios.begin(), ratios.begin() + ratios.size() / 2, ratios.end());
  return std::clamp(ratios[ratios.size() / 2], 0.8, 1.6);
}
}  // namespace

Mask difference_mask(const Mask& science, const Mask& reference, int margin, int grow, bool science_convolved) {
  const Mask& sharp = science_convolved ? science : reference;
  const Mask& broad = science_convolved ? reference : science;
  Mask grown = sharp;
  // Saturated, missing and edge pixels spread by the kernel into their neighbours.
  dilate_mask(grown, kMaskEdge | kMaskNoData | kMaskSaturated, kMaskSaturated, grow);
  Mask out(science.width, science.height);
  for (size_t i = 0; i < out.size(); ++i) out.pixels[i] = grown.pixels[i] | broad.pixels[i];
  const int w = out.width, h = out.height;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      if (x < margin || y < margin || x >= w - margin || y >= h - margin) out.at(x, y) |= kMaskEdge;
  return out;
}

Result<Subtraction> subtract_alard_lupton(const PreparedImage& sci, const AlignedReference& ref, int threads) {
  const int w = sci.image.width, h = sci.image.height;
  const bool convolve_science = sci.psf.fwhm < ref.fwhm;
  const Image& sharp = convolve_science ? sci.image : ref.image;
  const Image& broad = convolve_science ? ref.image : sci.image;
  const Image& sharp_var = convolve_science ? sci.variance : ref.variance;
  const Image& broad_var = convolve_science ? ref.variance : sci.variance;
  const double fwhm_sharp = std::min(sci.psf.fwhm, ref.fwhm), fwhm_broad = std::max(sci.psf.fwhm, ref.fwhm);
  KernelBasisSpec spec = basis_for(fwhm_sharp, fwhm_broad);
  const int fit_radius = std::clamp(int(std::ceil(3.0 * fwhm_broad)), 5, 20);
  auto stamps = pick_stamps(sci, ref.mask, fit_radius + spec.half_width, 150);
  Image fit_var(w, h);
  for (size_t i = 0; i < fit_var.size(); ++i) fit_var.pixels[i] = sharp_var.pixels[i] + broad_var.pixels[i];
  auto sol_r = fit_kernel(sharp, broad, fit_var, stamps, spec, fit_radius);
  if (!sol_r) return sol_r.status().with_context("fitting the PSF-matching kernel");
  const KernelSolution& sol = *sol_r;
  Image convolved = convolve_varying(sharp, sol, 256, threads);

  Subtraction out;
  out.method = convolve_science ? "alard-lupton:science" : "alard-lupton:reference";
  out.kernel_sum = sol.kernel_sum;
  // The kernel carries the flux ratio from the convolved image to the other.
  out.reference_per_science = convolve_science ? sol.kernel_sum : 1.0 / sol.kernel_sum;
  out.stamps = sol.stamps_used;
  DifferenceImage& d = out.difference;
  d.diff = Image(w, h);
  d.variance = Image(w, h);
  double k2 = 0;
  for (float v : sol.kernel.pixels) k2 += double(v) * v;
  // The convolved image's noise may be correlated (a coadd, a resampled
  // reference): its variance then grows by more than the kernel's k^2.
  const NoiseCorrelation corr =
      measure_noise_correlation(sharp, sharp_var, convolve_science ? sci.mask : ref.mask);
  const float fk2 = float(corr.white() ? k2 : k2 * corr.convolution_factor(sol.kernel));
  // The background term varies slowly: evaluate it on a coarse grid of rows.
  std::vector<float> bg_row(w);
  for (size_t i = 0; i < d.diff.size(); ++i) {
    const int x = int(i % size_t(w)), y = int(i / size_t(w));
    if (x == 0) {
      for (int xx = 0; xx < w; xx += 32) {
        float b = float(sol.background_at(xx, y));
        for (int k = xx; k < std::min(w, xx + 32); ++k) bg_row[k] = b;
      }
    }
    float model = convolved.pixels[i] + bg_row[x];
    d.diff.pixels[i] = convolve_science ? model - ref.image.pixels[i] : sci.image.pixels[i] - model;
    d.variance.pixels[i] = broad_var.pixels[i] + fk2 * sharp_var.pixels[i];
  }
  d.mask = difference_mask(sci.mask, ref.mask, spec.half_width + 2, spec.half_width, convolve_science);
  d.psf_fwhm = fwhm_broad;
  d.flux_scale = convolve_science ? sol.kernel_sum : 1.0;
  out.aperture_correction = aperture_correction(broad, broad_var, stamps, fwhm_broad);
  out.significance = significance_image(d, threads);
  return out;
}

}  // namespace blink
