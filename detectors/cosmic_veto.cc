#include "cosmic_veto.h"

#include <algorithm>
#include <cmath>

#include "moments.h"

namespace blink {

namespace {

constexpr double kFwhmPerSigma = 2.3548;
constexpr size_t kNearest = 12;  // stars whose median width is the PSF's where a candidate is
constexpr size_t kMaxStars = 2000;

// Width across the narrowest axis of what lies at (x, y), or 0 when the
// moments do not converge.
double minor_width(const Image& image, double x, double y, double psf_fwhm) {
  const Moments m = adaptive_moments(image, nullptr, x, y, psf_fwhm / kFwhmPerSigma);
  return m.ok ? m.fwhm / std::sqrt(m.elongation) : 0;
}

}  // namespace

CosmicVeto::CosmicVeto(const Image& image, const std::vector<Source>& sources, double psf_fwhm)
    : image_(image), psf_fwhm_(psf_fwhm) {
  if (psf_fwhm < 2.0) return;
  // Bright, isolated, round stars, brightest first: their widths are
  // measured the same way as the candidate's.
  std::vector<const Source*> bright;
  for (const Source& s : sources)
    if (!s.saturated && !s.near_edge && s.snr >= 50 && s.elongation < 1.5 && s.isolation > 3 * psf_fwhm)
      bright.push_back(&s);
  std::sort(bright.begin(), bright.end(), [](const Source* a, const Source* b) { return a->snr > b->snr; });
  if (bright.size() > kMaxStars) bright.resize(kMaxStars);
  for (const Source* s : bright) {
    const double w = minor_width(image, s->x, s->y, psf_fwhm);
    if (w > 0.7 * psf_fwhm && w < 1.5 * psf_fwhm) stars_.add(s->x, s->y, w);
  }
}

bool CosmicVeto::is_hit(double x, double y, double snr) const {
  // How much narrower than the stars a point source may measure: 2.5 times
  // its width's noise, about 1/snr relative, plus 3% for the PSF's variation
  // between the stars and it. Below S/N 10 widths say too little.
  if (snr < 10) return false;
  const double limit = 1.0 - 2.5 * std::sqrt(1.0 / (snr * snr) + 0.03 * 0.03);
  // The median width of the nearest stars: the PSF where the candidate is.
  const double local = stars_.quantile_near(x, y, kNearest, 0.5);
  if (local <= 0) return false;
  const double w = minor_width(image_, x, y, psf_fwhm_);
  return w > 0 && w < limit * local;
}

}  // namespace blink
