// Pixels sharper than the PSF allows: cosmic-ray hits and hot pixels. A real
// source is blurred by the atmosphere and optics; these are not.
#pragma once

#include <vector>

#include "image.h"
#include "sources.h"

namespace blink {

// After L.A.Cosmic (van Dokkum 2001, PASP 113, 1420): flags with `bit` the
// pixels whose Laplacian edge, in units of the noise, exceeds `sigma_clip`
// after removing smooth structure, and that are sharper than a star can be:
// where the PSF is resolved, their curvature along a row, column or diagonal
// exceeds what the PSF allows for their value; where it is not, their
// Laplacian is large against the image's fine structure (which stars have
// and cosmic rays do not). Then grows
// along the track into neighbours above a lower limit, and one pixel into
// its significant flanks. `image` is background subtracted, `variance` its
// per-pixel variance, `psf_fwhm` the PSF's FWHM in pixels.
// Returns the number of pixels flagged.
// `margin` is how much more sharply than a Gaussian of `psf_fwhm` a star
// may curve at its peak (star_curvature_margin measures it on the image).
int flag_cosmic_rays(const Image& image, const Image& variance, Mask& mask, double psf_fwhm, uint8_t bit,
                     int threads = 1, double sigma_clip = 5.0, double margin = 1.3);

// How much more sharply than a Gaussian of `psf_fwhm` the image's own bright
// stars curve at their peaks (the median star's, plus 15%, at least 1.3): trailed,
// elongated or diffraction-limited PSFs have sharper edges than a round
// Gaussian, and the test for hits must not take them for hits.
double star_curvature_margin(const Image& image, const std::vector<Source>& sources, double psf_fwhm);

// Catalogued sources narrower than the stars around them: round hits, and
// tracks of charge a particle left at a grazing angle, narrower across than
// the PSF. No image through the optics can be (a star is PSF-sized, a
// galaxy or a trailed asteroid at least as wide). Flags with `bit` the
// pixels connected to each that stand out of the noise, unless they spread
// into something larger than a hit (a star it crossed). Needs a sampled PSF
// (FWHM >= 2 pixels; otherwise flags nothing). Returns the pixels flagged.
int flag_sharp_sources(const Image& image, const Image& variance, Mask& mask, const std::vector<Source>& sources,
                       double psf_fwhm, uint8_t bit);

// The PSF width the tests above should assume: the median of the bright,
// unsaturated sources' widths across their narrowest axis, at most
// `psf_fwhm`. A PSF elongated by tracking, widened by blends (a crowded
// field) or varying over the frame would otherwise make stars look like
// hits along their sharp axis.
double sharpest_psf_width(const std::vector<Source>& sources, double psf_fwhm);

// Replaces every pixel carrying any of `bits` by the median of the unflagged
// pixels in its 5x5 neighbourhood, so convolution does not smear it.
void inpaint_masked(Image& image, const Mask& mask, uint8_t bits);

}  // namespace blink
