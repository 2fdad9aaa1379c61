// Profiles written as sums of Gaussians. The Moffat PSF and the exponential
// galaxy profile are both exact "scale mixtures" of concentric Gaussians (an
// integral over Gaussian widths; the mixing law is a Gamma distribution for
// the Moffat and a Levy distribution for the exponential), which a trapezoid
// rule in log-width turns into 12-25 terms accurate to a few 1e-5 of the
// peak. The point of writing them this way: a Gaussian convolved with a
// Gaussian is a Gaussian whose covariance is the sum, so PSF-convolved
// galaxies are exact, and stars and galaxies share one PSF to the last digit.
#pragma once

#include <vector>

namespace blink::sim {

// A term of a circular profile: its share of the flux and its variance in
// units of the profile's scale squared (alpha^2 for a Moffat, h^2 for an
// exponential of scale length h).
struct ScaleTerm {
  double weight;
  double variance;
};
using ScaleMixture = std::vector<ScaleTerm>;

// I(r) proportional to (1 + r^2/alpha^2)^-beta, beta > 1.
ScaleMixture moffat_mixture(double beta);
// I(r) proportional to exp(-r/h). The cusp below h/17 is lumped into the
// narrowest term: invisible once convolved with any PSF.
ScaleMixture exponential_mixture();

// Half-light radius of an exponential profile in units of its scale length.
inline constexpr double kExponentialHalfLight = 1.6783469900166605;
// FWHM = 2 alpha sqrt(2^(1/beta) - 1).
double moffat_alpha(double fwhm, double beta);

// Unit-determinant shape matrix: circles become ellipses of axis ratio q
// (minor/major) with the major axis at `angle_rad` from +x towards +y, with
// the geometric-mean radius kept.
struct Shape {
  double sxx = 1, sxy = 0, syy = 1;
  static Shape elliptical(double axis_ratio, double angle_rad);
};

// One 2-D Gaussian: share of the flux and covariance (pixels^2).
struct Gaussian {
  double weight;
  double cxx, cxy, cyy;
};
using Mixture = std::vector<Gaussian>;

// The scale mixture at a given scale and shape, with weights times `flux_share`.
void append_shaped(const ScaleMixture& terms, double scale, const Shape& shape, double flux_share,
                   Mixture& out);
// Appends a (x) b: every pair, weights multiplied, covariances added.
void append_convolution(const Mixture& a, const Mixture& b, Mixture& out);

// Evaluates a circular scale mixture (normalised to unit flux) at radius r,
// in units of its scale: for tests of the expansions.
double evaluate_circular(const ScaleMixture& terms, double r);

}  // namespace blink::sim
