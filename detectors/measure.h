// Photometry and shape of one point source on an image with a variance map.
#pragma once

#include "candidate.h"
#include "difference.h"

namespace blink {

struct PsfFlux {
  double flux = 0, error = 0;  // error assumes independent pixels
  bool ok = false;
};

// Weighted least-squares amplitude of a Gaussian PSF of `fwhm` centred at
// (x, y), over pixels within 2 FWHM that carry no mask bit in `skip`.
PsfFlux psf_fit_flux(const Image& image, const Image& variance, const Mask* mask, uint8_t skip,
                     double x, double y, double fwhm);

// Fills position, flux (in science ADU), shape and context measurements of `c`,
// starting from c.x, c.y at the detection peak. `noise_correlation` scales
// errors for the pixel-to-pixel correlation the convolution introduced;
// `aperture_correction` turns a Gaussian-PSF flux into a total flux.
void measure_candidate(const DifferenceImage& d, double noise_correlation, double aperture_correction,
                       Candidate& c);

}  // namespace blink
