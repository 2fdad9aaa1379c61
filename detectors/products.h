// The images behind one exposure's candidates, kept after the pipeline
// returns so the daemon can cut stamps and measure forced photometry.
#pragma once

#include "align.h"
#include "difference.h"
#include "measure.h"

namespace blink {

struct DifferenceProducts {
  Image science;     // background subtracted, defects filled in
  Image reference;   // aligned to the science grid, background subtracted
  DifferenceImage difference;
  // The method's own point-source flux at every pixel and its error (ZOGY's
  // S / F_S), in science ADU; empty when the method has none.
  Image flux, flux_err;
  double noise_correlation = 1;     // scales PSF-fit errors for correlated noise
  double aperture_correction = 1;   // total / Gaussian-fit flux
  double reference_per_science = 1; // a star's reference flux over its science flux
  PixelMap map;                     // science pixel -> reference pixel

  // Point-source flux on the difference at science pixel (x, y), in science
  // ADU: the method's flux map where it has one, else a PSF fit.
  PsfFlux forced_flux(double x, double y) const;
  // The science pixel that `map` sends to reference pixel (rx, ry).
  void reference_to_science(double rx, double ry, double& x, double& y) const;
};

// A size x size stamp of `image` centred on the pixel nearest (x, y); NaN outside the image.
Image cutout(const Image& image, double x, double y, int size);

}  // namespace blink
