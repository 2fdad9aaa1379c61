#include "psf_render.h"

#include <algorithm>
#include <cmath>

namespace blink::sim {
namespace {

// Gaussians with a minor-axis sigma below this are sub-sampled: sampling at
// pixel centres would alias (a 0.4 px Gaussian gains or loses 6% of its flux
// depending on where in the pixel it sits).
constexpr double kSubsampleSigma = 1.0;

void add_subsampled(Image& image, double x0, double y0, double norm, double a, double b, double c,
                    double cxx, double cyy, double limit, double minor_sigma) {
  const int n = std::clamp(int(std::ceil(0.8 / minor_sigma)), 2, 8);
  const double hx = std::sqrt(limit * cxx) + 0.5, hy = std::sqrt(limit * cyy) + 0.5;
  const int ylo = std::max(0, int(std::ceil(y0 - hy))),
            yhi = std::min(image.height - 1, int(std::floor(y0 + hy)));
  const int xlo = std::max(0, int(std::ceil(x0 - hx))),
            xhi = std::min(image.width - 1, int(std::floor(x0 + hx)));
  const double inv_n2 = 1.0 / (n * n);
  for (int y = ylo; y <= yhi; ++y) {
    float* row = image.row(y);
    for (int x = xlo; x <= xhi; ++x) {
      double sum = 0;
      for (int j = 0; j < n; ++j) {
        double dy = y - 0.5 + (j + 0.5) / n - y0;
        for (int i = 0; i < n; ++i) {
          double dx = x - 0.5 + (i + 0.5) / n - x0;
          sum += std::exp(-0.5 * (a * dx * dx + 2 * b * dx * dy + c * dy * dy));
        }
      }
      row[x] += float(norm * sum * inv_n2);
    }
  }
}

}  // namespace

double PsfModel::fwhm_at(double x, double y) const {
  double u = 2.0 * x / std::max(1, width - 1) - 1.0;
  double v = 2.0 * y / std::max(1, height - 1) - 1.0;
  return fwhm * (1.0 + tilt_x * u + tilt_y * v + 0.5 * curvature * (u * u + v * v));
}

Mixture PsfModel::mixture_at(double x, double y) const {
  Mixture m;
  m.reserve(terms.size());
  append_shaped(terms, moffat_alpha(fwhm_at(x, y), beta),
                Shape::elliptical(1.0 - ellipticity, angle_rad), 1.0, m);
  return m;
}

void add_gaussian(Image& image, double x0, double y0, double flux, const Gaussian& g,
                  double floor_adu) {
  double cxx = g.cxx, cxy = g.cxy, cyy = g.cyy;
  const double half_trace = 0.5 * (cxx + cyy);
  const double minor_var = half_trace - std::sqrt(0.25 * (cxx - cyy) * (cxx - cyy) + cxy * cxy);
  const bool narrow = minor_var < kSubsampleSigma * kSubsampleSigma;
  if (!narrow) {
    cxx += 1.0 / 12.0;
    cyy += 1.0 / 12.0;
  }
  const double det = cxx * cyy - cxy * cxy;
  if (det <= 0 || flux <= 0) return;
  const double norm = flux * g.weight / (2 * M_PI * std::sqrt(det));
  if (norm < floor_adu) return;
  // Inverse covariance; the ellipse Q <= limit holds every value above the floor.
  const double a = cyy / det, b = -cxy / det, c = cxx / det;
  const double limit = 2.0 * std::log(norm / floor_adu);
  if (narrow) {
    add_subsampled(image, x0, y0, norm, a, b, c, cxx, cyy, limit,
                   std::sqrt(std::max(minor_var, 1e-6)));
    return;
  }
  const double hy = std::sqrt(limit * cyy);
  const int ylo = std::max(0, int(std::ceil(y0 - hy))),
            yhi = std::min(image.height - 1, int(std::floor(y0 + hy)));
  const double step_ratio = std::exp(-a);
  for (int y = ylo; y <= yhi; ++y) {
    const double dy = y - y0;
    // Where this row crosses the ellipse: a dx^2 + 2 b dy dx + c dy^2 = limit.
    const double disc = b * b * dy * dy - a * (c * dy * dy - limit);
    if (disc < 0) continue;
    const double root = std::sqrt(disc);
    const int xlo = std::max(0, int(std::ceil(x0 + (-b * dy - root) / a)));
    const int xhi = std::min(image.width - 1, int(std::floor(x0 + (-b * dy + root) / a)));
    if (xlo > xhi) continue;
    // exp of a quadratic along the row by recurrence: two multiplications a pixel.
    double dx = xlo - x0;
    double value = norm * std::exp(-0.5 * (a * dx * dx + 2 * b * dx * dy + c * dy * dy));
    double ratio = std::exp(-0.5 * (a * (2 * dx + 1) + 2 * b * dy));
    float* row = image.row(y);
    for (int x = xlo; x <= xhi; ++x) {
      row[x] += float(value);
      value *= ratio;
      ratio *= step_ratio;
    }
  }
}

void add_mixture(Image& image, double x, double y, double flux, const Mixture& mixture,
                 double floor_adu) {
  for (const Gaussian& g : mixture) add_gaussian(image, x, y, flux, g, floor_adu);
}

}  // namespace blink::sim
