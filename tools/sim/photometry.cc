#include "photometry.h"

#include <algorithm>
#include <cmath>

namespace blink::sim {

namespace {

double sinc(double u) { return u == 0 ? 1.0 : std::sin(M_PI * u) / (M_PI * u); }

// |P(k)|^2 of a unit-flux mixture integrated over square pixels, at
// frequency (u, v) in cycles per pixel.
double power(const Mixture& m, double u, double v) {
  double a = 0;
  for (const Gaussian& g : m)
    a += g.weight * std::exp(-2.0 * M_PI * M_PI * (g.cxx * u * u + 2.0 * g.cxy * u * v + g.cyy * v * v));
  const double box = sinc(u) * sinc(v);
  return a * a * box * box;
}

// How much the reference's PSF changes the flux's inverse variance against
// a reference with the science's PSF: the integral above over its value for
// equal PSFs, both over the pixel grid's frequencies.
double psf_mismatch_factor(const Mixture& sci, const Mixture& ref, double v_sci, double v_ref) {
  constexpr int kSteps = 64;
  double mismatched = 0, matched = 0;
  for (int j = 0; j < kSteps; ++j) {
    const double v = (j + 0.5) / kSteps - 0.5;
    for (int i = 0; i < kSteps; ++i) {
      const double u = (i + 0.5) / kSteps - 0.5;
      const double pn = power(sci, u, v), pr = power(ref, u, v);
      const double denom = v_sci * pr + v_ref * pn;
      if (denom > 0) mismatched += pn * pr / denom;
      matched += pn / (v_sci + v_ref);
    }
  }
  return matched > 0 ? mismatched / matched : 1.0;
}

}  // namespace

double expected_snr(const DifferenceNoise& noise, const PsfModel& psf, double x, double y,
                    double flux_now, double flux_ref) {
  const Image& e = *noise.expected;
  // The PSF out to 3 FWHM holds all but a negligible share of sum(P^2).
  const int r = int(std::ceil(3 * psf.fwhm_at(x, y))) + 2;
  const int sx = int(std::lround(x)) - r, sy = int(std::lround(y)) - r;
  Image p(2 * r + 1, 2 * r + 1);
  add_mixture(p, x - sx, y - sy, 1.0, psf.mixture_at(x, y), 1e-9);

  const double g = noise.gain, f = noise.reference_to_science;
  const double rn2 = (noise.read_noise_e / g) * (noise.read_noise_e / g);
  double sum_p2 = 0, sum_p2v_sci = 0, sum_p2v_ref = 0;
  for (int j = 0; j < p.height; ++j) {
    for (int i = 0; i < p.width; ++i) {
      const int ix = sx + i, iy = sy + j;
      if (!e.contains(ix, iy)) continue;
      const double pi = p.at(i, j);
      const double ei = std::max(0.0, double(e.at(ix, iy)));
      const double v_sci = ei / g + rn2;
      const double statics =
          std::max(0.0, ei - noise.science_sky.at(ix, iy) - flux_now * pi) + flux_ref * pi;
      const double v_ref = f * f * (noise.reference_sky.at(ix, iy) / g + rn2) + f * statics / g;
      sum_p2 += pi * pi;
      sum_p2v_sci += pi * pi * v_sci;
      sum_p2v_ref += pi * pi * v_ref;
    }
  }
  if (sum_p2 <= 0 || sum_p2v_sci + sum_p2v_ref <= 0) return 0;
  const double v_sci = sum_p2v_sci / sum_p2, v_ref = sum_p2v_ref / sum_p2;
  double inverse_variance = sum_p2 / (v_sci + v_ref);
  if (noise.reference_psf)
    inverse_variance *= psf_mismatch_factor(psf.mixture_at(x, y), noise.reference_psf->mixture_at(x, y), v_sci, v_ref);
  return std::fabs(flux_now - flux_ref) * std::sqrt(inverse_variance);
}

}  // namespace blink::sim
