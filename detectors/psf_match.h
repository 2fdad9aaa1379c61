// Alard & Lupton (1998) PSF matching: the kernel that turns the sharper image
// into the blurrier one, as a sum of Gaussians times polynomials (plus a
// delta function), fitted by least squares on stamps around stars.
#pragma once

#include <vector>

#include "image.h"
#include "status.h"

namespace blink {

struct KernelBasisSpec {
  int half_width = 10;                       // kernel is (2h+1)^2 pixels
  std::vector<double> sigmas = {0.7, 1.5, 3.0};
  std::vector<int> degrees = {6, 4, 2};
  bool include_delta = true;
  int spatial_order = 2;  // kernel coefficients are polynomials of this order in x, y
};

// Picks the basis for matching a PSF of `fwhm_sharp` to one of `fwhm_broad` pixels.
KernelBasisSpec basis_for(double fwhm_sharp, double fwhm_broad);

struct StampCentre {
  int x = 0, y = 0;
};

struct KernelSolution {
  Image kernel;               // at the image centre: (2h+1)^2, centre pixel is the origin
  double kernel_sum = 1;      // photometric scale at the centre: target flux / convolved-image flux
  double background = 0;      // target minus convolved image, a constant
  int stamps_used = 0;
  int stamps_rejected = 0;
  double chi2_per_pixel = 0;  // median over the kept stamps
  int spatial_order = 0;      // as fitted (lowered when stamps are too few)

  // The kernel at pixel (x, y) of an image of the fitted size.
  Image kernel_at(double x, double y) const;
  // The background term at (x, y).
  double background_at(double x, double y) const;

  // Internals of the spatial model, for kernel_at.
  std::vector<std::vector<float>> fx, fy;  // separable basis factors
  std::vector<double> coef;                // [(basis + background) x terms], term fastest
  int terms = 1;
  double cx = 0, cy = 0, scale_x = 1, scale_y = 1;
};

// Polynomial terms 1, u, v, u^2, uv, v^2, ... up to `order` at (u, v).
void spatial_terms(double u, double v, int order, double* out);
int spatial_term_count(int order);

// Convolves `image` with the spatially varying kernel of `sol`, tile by tile
// (each tile with the kernel at its centre), using `threads` threads.
Image convolve_varying(const Image& image, const KernelSolution& sol, int tile, int threads);

// Fits target ~= kernel (x) source + background on square stamps of half-size
// `fit_radius` around `centres`, weighting pixels by 1/`variance`, rejecting
// stamps whose fit is much worse than the typical one (variables, blends).
// With spec.spatial_order > 0 the kernel varies across the image as a
// polynomial; the order drops when there are too few stamps to constrain it.
Result<KernelSolution> fit_kernel(const Image& source, const Image& target, const Image& variance,
                                  const std::vector<StampCentre>& centres, const KernelBasisSpec& spec,
                                  int fit_radius);

}  // namespace blink
