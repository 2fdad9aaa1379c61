#include "photometry.h"

#include <algorithm>
#include <cmath>

namespace blink::sim {

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
  double sum_p2 = 0, sum_p2v = 0;
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
      sum_p2v += pi * pi * (v_sci + v_ref);
    }
  }
  if (sum_p2 <= 0 || sum_p2v <= 0) return 0;
  const double sigma = std::sqrt(sum_p2v) / sum_p2;
  return std::fabs(flux_now - flux_ref) / sigma;
}

}  // namespace blink::sim
