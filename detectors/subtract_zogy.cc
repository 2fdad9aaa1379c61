// ZOGY subtraction: PSFs of both images, their flux ratio, then the proper
// difference image and S_corr (the maths is in zogy.cc).
#include <algorithm>
#include <cmath>

#include "background.h"
#include "filters.h"
#include "psf_model.h"
#include "subtraction.h"
#include "zogy.h"

namespace blink {

Result<Subtraction> subtract_zogy(const PreparedImage& sci, const AlignedReference& ref, int threads) {
  const double fwhm_broad = std::max(sci.psf.fwhm, ref.fwhm);
  const int half = std::clamp(int(std::ceil(2.5 * fwhm_broad)), 7, 25);
  Mask mask = difference_mask(sci.mask, ref.mask, half + 2, 0, true);
  // Each image is convolved with the other's PSF: a saturated core's missing
  // light, in either, spreads over the PSF's width around it.
  dilate_mask(mask, kMaskSaturated | kMaskNoData, kMaskSaturated, int(std::ceil(1.5 * fwhm_broad)));
  ZogyInputs in;
  in.science = &sci.image;
  in.reference = &ref.image;
  in.science_var = &sci.variance;
  in.reference_var = &ref.variance;
  in.mask = &mask;
  in.stars = &sci.sources;
  in.science_psf = empirical_psf(sci.image, mask, sci.sources, half);
  in.reference_psf = empirical_psf(ref.image, mask, sci.sources, half);
  if (in.science_psf.empty() || in.reference_psf.empty()) {
    return Status::invalid("ZOGY: too few clean bright stars to measure both PSFs");
  }
  in.flux_ratio = fit_flux_ratio(sci.image, ref.image, mask, sci.sources, 3.0 * fwhm_broad);
  in.science_noise = measure_noise_correlation(sci.image, sci.variance, mask);
  in.reference_noise = measure_noise_correlation(ref.image, ref.variance, mask);
  in.threads = threads;
  auto z = zogy_subtract(in);
  if (!z) return z.status();

  Subtraction out;
  out.method = "zogy";
  out.reference_per_science = in.flux_ratio;
  DifferenceImage& d = out.difference;
  d.diff = std::move(z->diff);
  d.variance = std::move(z->variance);
  d.mask = std::move(mask);
  d.psf_fwhm = z->psf_fwhm;
  d.flux_scale = 1;
  // S_corr is already a significance; calibrate its width on empty sky like the matched filter.
  Significance& s = out.significance;
  s.z = std::move(z->score);
  std::vector<float> sample, ratio;
  for (size_t i = 0; i < s.z.size(); i += 11)
    if (!d.mask.pixels[i]) sample.push_back(s.z.pixels[i]);
  for (size_t i = 0; i < d.diff.size(); i += 5)
    if (!d.mask.pixels[i] && d.variance.pixels[i] > 0) ratio.push_back(d.diff.pixels[i] / std::sqrt(d.variance.pixels[i]));
  float med = 0, sig = 1;
  if (clipped_stats(sample.data(), sample.size(), med, sig, 2) && sig > 0) {
    s.correlation = sig;
    for (float& v : s.z.pixels) v /= sig;
  }
  if (clipped_stats(ratio.data(), ratio.size(), med, sig, 2)) s.pixel_noise_ratio = sig;
  out.flux = std::move(z->flux);
  out.flux_err = std::move(z->flux_err);
  return out;
}

}  // namespace blink
