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
};

// Picks the basis for matching a PSF of `fwhm_sharp` to one of `fwhm_broad` pixels.
KernelBasisSpec basis_for(double fwhm_sharp, double fwhm_broad);

struct StampCentre {
  int x = 0, y = 0;
};

struct KernelSolution {
  Image kernel;               // (2h+1)^2, centre pixel is the origin
  double kernel_sum = 1;      // photometric scale: target flux / convolved-image flux
  double background = 0;      // target minus convolved image, a constant
  int stamps_used = 0;
  int stamps_rejected = 0;
  double chi2_per_pixel = 0;  // median over the kept stamps
};

// Fits target ~= kernel (x) source + background on square stamps of half-size
// `fit_radius` around `centres`, weighting pixels by 1/`variance`, rejecting
// stamps whose fit is much worse than the typical one (variables, blends).
Result<KernelSolution> fit_kernel(const Image& source, const Image& target, const Image& variance,
                                  const std::vector<StampCentre>& centres, const KernelBasisSpec& spec,
                                  int fit_radius);

}  // namespace blink
