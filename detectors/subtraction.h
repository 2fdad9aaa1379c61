// The two subtraction methods behind one interface: given the prepared
// science image and the reference aligned to it, produce the difference
// image and its significance image.
#pragma once

#include <string>

#include "detect.h"
#include "difference.h"
#include "prepared_image.h"
#include "status.h"

namespace blink {

// The reference resampled onto the science pixel grid.
struct AlignedReference {
  Image image, variance;
  Mask mask;
  double fwhm = 0;  // PSF FWHM in science pixels
};

struct Subtraction {
  DifferenceImage difference;
  Significance significance;
  // Flux of a candidate at (x, y) in science ADU and its error, when the
  // method has a better estimate than a PSF fit on the difference image.
  Image flux, flux_err;
  std::string method;
  double aperture_correction = 1;  // total / Gaussian-fit flux of stars, for PSF fits on `difference`
  double reference_per_science = 1;  // photometric scale between the two images
  double kernel_sum = 0;  // Alard-Lupton only
  int stamps = 0;         // stars used to fit the kernel or the flux ratio
};

Result<Subtraction> subtract_alard_lupton(const PreparedImage& science, const AlignedReference& reference,
                                          int threads);

Result<Subtraction> subtract_zogy(const PreparedImage& science, const AlignedReference& reference, int threads);

// Masks the convolution's border and combines both inputs' masks.
Mask difference_mask(const Mask& science, const Mask& reference, int convolved_margin, int grow_convolved,
                     bool science_convolved);

}  // namespace blink
