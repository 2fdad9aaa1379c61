// The last test for cosmic-ray hits, made where the difference image shows
// something new. The pixel tests before subtraction must spare every star,
// so a hit nearly as wide as the PSF passes them; where something is new,
// only a transient is at stake, and its width on the science image can be
// held to the nearby stars' more closely.
#pragma once

#include <vector>

#include "image.h"
#include "nearby_widths.h"
#include "sources.h"

namespace blink {

class CosmicVeto {
 public:
  // `image`: the science image, background subtracted (kept by reference);
  // `sources`: its catalogue; `psf_fwhm`: its PSF's FWHM in pixels.
  CosmicVeto(const Image& image, const std::vector<Source>& sources, double psf_fwhm);

  // Whether the new source at (x, y), found at significance `snr`, is a hit:
  // across its narrowest axis it is narrower than the nearby stars by more
  // than the noise in a width measured at that S/N allows. Never where the
  // PSF is undersampled (FWHM < 2 px) or the width cannot be measured.
  bool is_hit(double x, double y, double snr) const;

 private:
  const Image& image_;
  double psf_fwhm_;
  NearbyWidths stars_;  // bright stars' widths, measured as a candidate's is
};

}  // namespace blink
