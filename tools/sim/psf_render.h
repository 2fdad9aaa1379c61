// The PSF of one exposure and the renderer that adds Gaussian mixtures to an
// image. Stars, transients, asteroids and (PSF-convolved) galaxies all go
// through add_mixture, so every source in an exposure has the same PSF.
#pragma once

#include "gaussian_mixture.h"
#include "image.h"

namespace blink::sim {

// A Moffat PSF whose FWHM drifts gently across the frame (focus and field
// curvature) and which may be mildly elliptical. Pure value type.
struct PsfModel {
  double fwhm = 3;         // pixels, at the frame centre
  double beta = 3;         // Moffat index
  double ellipticity = 0;  // 1 - minor/major
  double angle_rad = 0;    // of the major axis
  // Fractional FWHM change per unit of normalised position (-1..1 across the
  // frame): fwhm(x,y) = fwhm (1 + tilt_x u + tilt_y v + curvature (u^2 + v^2) / 2).
  double tilt_x = 0, tilt_y = 0, curvature = 0;
  int width = 1, height = 1;

  double fwhm_at(double x, double y) const;
  // Unit-flux mixture of the PSF centred at (x, y).
  Mixture mixture_at(double x, double y) const;
  // Built once from beta; mixture_at() scales it.
  ScaleMixture terms;
  void prepare() { terms = moffat_mixture(beta); }
};

// Adds `flux` times the mixture centred at (x, y), each Gaussian integrated
// over the pixel (sub-sampled when narrower than a pixel, otherwise sampled at
// pixel centres with the pixel's 1/12 px^2 variance added), and cut where it
// falls below `floor_adu` per pixel.
void add_mixture(Image& image, double x, double y, double flux, const Mixture& mixture,
                 double floor_adu);
void add_gaussian(Image& image, double x, double y, double flux, const Gaussian& g,
                  double floor_adu);

// Below this a source's contribution to a pixel is not rendered (ADU); far
// below the sky noise of any exposure.
inline constexpr double kRenderFloorAdu = 0.01;

}  // namespace blink::sim
