// Pixels sharper than the PSF allows: cosmic-ray hits and hot pixels. A real
// source is blurred by the atmosphere and optics; these are not.
#pragma once

#include "image.h"

namespace blink {

// L.A.Cosmic (van Dokkum 2001, PASP 113, 1420): flags with `bit` the pixels
// whose Laplacian edge, in units of the noise, exceeds `sigma_clip` after
// removing smooth structure, and whose Laplacian is larger than
// `fine_structure_ratio` times the image's fine structure (which stars have
// and cosmic rays do not); then grows into neighbours above a lower limit.
// `image` is background subtracted, `variance` its per-pixel variance.
// `psf_fwhm` tunes the fine-structure ratio for undersampled images.
// Returns the number of pixels flagged.
int flag_cosmic_rays(const Image& image, const Image& variance, Mask& mask, double psf_fwhm, uint8_t bit,
                     int threads = 1, double sigma_clip = 5.0);

// Replaces every pixel carrying any of `bits` by the median of the unflagged
// pixels in its 5x5 neighbourhood, so convolution does not smear it.
void inpaint_masked(Image& image, const Mask& mask, uint8_t bits);

}  // namespace blink
