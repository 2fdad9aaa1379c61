#include "moments.h"

#include <algorithm>
#include <cmath>

namespace blink {

Moments adaptive_moments(const Image& img, const Mask* mask, double x0, double y0, double sigma0,
                         int iterations, double pedestal) {
  Moments m;
  double sw = std::max(0.6, sigma0);
  double cx = x0, cy = y0;
  double mxx = 0, myy = 0, mxy = 0;
  for (int it = 0; it < iterations; ++it) {
    int r = int(std::ceil(4 * sw));
    int xa = std::max(0, int(cx) - r), xb = std::min(img.width - 1, int(cx) + r);
    int ya = std::max(0, int(cy) - r), yb = std::min(img.height - 1, int(cy) + r);
    double s0 = 0, sx = 0, sy = 0;
    const double inv2 = 1.0 / (2 * sw * sw);
    for (int y = ya; y <= yb; ++y)
      for (int x = xa; x <= xb; ++x) {
        if (mask && mask->at(x, y)) continue;
        double dx = x - cx, dy = y - cy;
        double wgt = std::exp(-(dx * dx + dy * dy) * inv2) * (img.at(x, y) - pedestal);
        s0 += wgt, sx += wgt * dx, sy += wgt * dy;
      }
    if (!(s0 > 0)) return m;
    double ncx = cx + sx / s0, ncy = cy + sy / s0;
    // A centroid that runs away is noise, not a source.
    if (std::abs(ncx - x0) > 3 * sigma0 + 2 || std::abs(ncy - y0) > 3 * sigma0 + 2) return m;
    cx = ncx, cy = ncy;
    s0 = mxx = myy = mxy = 0;
    for (int y = ya; y <= yb; ++y)
      for (int x = xa; x <= xb; ++x) {
        if (mask && mask->at(x, y)) continue;
        double dx = x - cx, dy = y - cy;
        double wgt = std::exp(-(dx * dx + dy * dy) * inv2) * (img.at(x, y) - pedestal);
        s0 += wgt, mxx += wgt * dx * dx, myy += wgt * dy * dy, mxy += wgt * dx * dy;
      }
    if (!(s0 > 0)) return m;
    mxx /= s0, myy /= s0, mxy /= s0;
    double t = (mxx + myy) / 2;
    // Gaussian source x Gaussian weight: 1/measured = 1/source + 1/weight.
    double inv = 1 / t - 1 / (sw * sw);
    if (!(inv > 0)) return m;
    double next = std::sqrt(1 / inv);
    next = std::clamp(next, 0.3, 30.0);
    if (std::abs(next - sw) < 1e-3 * sw) {
      sw = next;
      break;
    }
    sw = next;
  }
  double tr = (mxx + myy) / 2, det = mxx * myy - mxy * mxy;
  double disc = std::sqrt(std::max(0.0, tr * tr - det));
  double l1 = tr + disc, l2 = std::max(1e-6, tr - disc);
  double w2 = sw * sw;
  double i1 = 1 / l1 - 1 / w2, i2 = 1 / l2 - 1 / w2;
  if (!(i1 > 0) || !(i2 > 0)) {
    // Unresolved along one axis: report the measured moments undeconvolved.
    m.elongation = std::sqrt(l1 / l2);
    m.fwhm = 2.3548 * std::sqrt(std::sqrt(l1 * l2));
  } else {
    double c1 = 1 / i1, c2 = 1 / i2;
    m.elongation = std::sqrt(std::max(c1, c2) / std::min(c1, c2));
    m.fwhm = 2.3548 * std::sqrt(std::sqrt(c1 * c2));
  }
  m.x = cx, m.y = cy;
  m.weight_sigma = sw;
  m.ok = std::isfinite(m.fwhm) && std::isfinite(m.x) && std::isfinite(m.y);
  return m;
}

}  // namespace blink
