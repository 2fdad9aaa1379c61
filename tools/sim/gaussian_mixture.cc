#include "gaussian_mixture.h"

#include <cmath>

namespace blink::sim {
namespace {

// Terms lighter than this share of the flux are dropped (the rest renormalised).
constexpr double kMinWeight = 1e-7;

// Trapezoid rule in s = ln(tau) over [s_lo, s_hi] of flux_density(tau), where
// each node stands for the Gaussian exp(-tau r^2) of variance 1/(2 tau). The
// integrands are analytic and decaying in the strip |Im s| < pi/4, so the
// error falls like exp(-pi^2 / (2 step)): measured 3e-5 of the peak at step 0.5.
template <typename Density>
ScaleMixture integrate(Density flux_density, double s_lo, double s_hi, double step, double tail) {
  ScaleMixture terms;
  double total = tail;
  for (double s = s_lo; s <= s_hi + 1e-9; s += step) {
    double tau = std::exp(s);
    double w = flux_density(tau) * step;
    terms.push_back({w, 0.5 / tau});
    total += w;
  }
  if (!terms.empty()) terms.back().weight += tail;
  ScaleMixture kept;
  double kept_total = 0;
  for (const ScaleTerm& t : terms) {
    if (t.weight / total < kMinWeight) continue;
    kept.push_back(t);
    kept_total += t.weight;
  }
  for (ScaleTerm& t : kept) t.weight /= kept_total;
  return kept;
}

}  // namespace

ScaleMixture moffat_mixture(double beta) {
  // (1 + u)^-beta = Gamma(beta)^-1 * Integral tau^(beta-1) e^(-tau) e^(-tau u) dtau,
  // and exp(-tau r^2/alpha^2) holds pi alpha^2 / tau of flux: per unit ln(tau)
  // the flux density is tau^(beta-1) e^(-tau).
  auto density = [beta](double tau) { return std::pow(tau, beta - 1) * std::exp(-tau); };
  return integrate(density, std::log(1e-4), std::log(60.0), 0.5, 0.0);
}

ScaleMixture exponential_mixture() {
  // exp(-sqrt(u)) = Integral (2 sqrt(pi))^-1 tau^(-3/2) e^(-1/(4 tau)) e^(-tau u) dtau;
  // with pi/tau of flux per Gaussian and dtau = tau ds, the flux density per
  // unit ln(tau) is proportional to tau^(-3/2) e^(-1/(4 tau)).
  auto density = [](double tau) { return std::pow(tau, -1.5) * std::exp(-0.25 / tau); };
  const double s_hi = std::log(150.0), step = 0.6;
  // Flux of all narrower Gaussians, from half a step past the last node:
  // Integral_{tau_t}^inf tau^(-5/2) dtau = (2/3) tau_t^(-3/2).
  const double tau_t = std::exp(s_hi + step / 2);
  const double tail = (2.0 / 3.0) * std::pow(tau_t, -1.5);
  return integrate(density, std::log(1.0 / 160.0), s_hi, step, tail);
}

double moffat_alpha(double fwhm, double beta) {
  return fwhm / (2.0 * std::sqrt(std::pow(2.0, 1.0 / beta) - 1.0));
}

Shape Shape::elliptical(double axis_ratio, double angle_rad) {
  double major2 = 1.0 / axis_ratio, minor2 = axis_ratio;  // squared semi-axes, product 1
  double c = std::cos(angle_rad), s = std::sin(angle_rad);
  return {major2 * c * c + minor2 * s * s, (major2 - minor2) * c * s,
          major2 * s * s + minor2 * c * c};
}

void append_shaped(const ScaleMixture& terms, double scale, const Shape& shape, double flux_share,
                   Mixture& out) {
  const double s2 = scale * scale;
  for (const ScaleTerm& t : terms) {
    double v = t.variance * s2;
    out.push_back({t.weight * flux_share, v * shape.sxx, v * shape.sxy, v * shape.syy});
  }
}

void append_convolution(const Mixture& a, const Mixture& b, Mixture& out) {
  out.reserve(out.size() + a.size() * b.size());
  for (const Gaussian& g : a) {
    for (const Gaussian& h : b) {
      out.push_back({g.weight * h.weight, g.cxx + h.cxx, g.cxy + h.cxy, g.cyy + h.cyy});
    }
  }
}

double evaluate_circular(const ScaleMixture& terms, double r) {
  double sum = 0;
  for (const ScaleTerm& t : terms) {
    sum += t.weight * std::exp(-0.5 * r * r / t.variance) / (2 * M_PI * t.variance);
  }
  return sum;
}

}  // namespace blink::sim
