#include "host.h"

#include <algorithm>
#include <cmath>

namespace blink {

void associate_host(Candidate& c, double rx, double ry, const ReferenceContext& ref,
                    const HostOptions& o) {
  const double psf = ref.psf_fwhm > 0 ? ref.psf_fwhm : 3.0;
  // Reference pixels to science pixels (the map may change the scale).
  const double to_science = 1.0 / std::sqrt(std::max(ref.map.area_ratio(c.x, c.y), 1e-6));

  // A point source under the candidate: within half a PSF of its centre.
  double dist = 0;
  int j = ref.grid.nearest(rx, ry, dist);
  c.ref_point_source = j >= 0 && dist <= std::max(1.5, 0.5 * psf) &&
                       ref.sources[size_t(j)].fwhm <= o.extended_ratio * psf;

  // The galaxy the candidate is closest to in units of the galaxy's size: a
  // big galaxy 20 pixels away is a better host than a faint smudge at 15.
  int best = -1;
  double best_radii = o.max_separation_radii, best_radius = 0, best_offset = 0;
  ref.grid.within(rx, ry, o.max_offset_pixels, [&](int i, double d) {
    const Source& s = ref.sources[size_t(i)];
    if (s.saturated || !(s.fwhm > o.extended_ratio * psf)) return;
    const double radius = std::max(0.5 * s.fwhm, 0.5 * psf);  // half width at half maximum
    const double radii = d / radius;
    if (radii < best_radii) best = i, best_radii = radii, best_radius = radius, best_offset = d;
  });
  if (best < 0) return;
  const Source& host = ref.sources[size_t(best)];
  ref.map.unmap(host.x, host.y, c.host_x, c.host_y);
  c.host_offset = best_offset * to_science;
  c.host_radius = best_radius * to_science;
  c.host_mag = host.flux > 0 ? ref.magzp - 2.5 * std::log10(host.flux) : 99;
}

}  // namespace blink
