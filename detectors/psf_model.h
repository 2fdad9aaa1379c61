// An empirical PSF: the normalised median of bright stars, each shifted to a
// common sub-pixel centre. Needed where a Gaussian is not good enough (ZOGY's
// Fourier-space PSFs, PSF-fit photometry on real, winged PSFs).
#pragma once

#include <vector>

#include "image.h"
#include "sources.h"

namespace blink {

// `half` sets the stamp to (2*half+1)^2 pixels. Stars are taken from
// `stars` (unsaturated, bright, not near the edge, no brighter neighbour
// within `half`), at most `max_stars`, the brightest first; when `region`
// is non-empty only stars inside it (x0, y0, x1, y1) count. Returns an
// empty image when fewer than 3 stars qualify. The result sums to 1 and is
// centred on its middle pixel.
Image empirical_psf(const Image& image, const Mask& mask, const std::vector<Source>& stars, int half,
                    int max_stars = 60, const int region[4] = nullptr);

// A circular Gaussian PSF stamp of the given FWHM, summing to 1.
Image gaussian_psf(double fwhm, int half);

}  // namespace blink
