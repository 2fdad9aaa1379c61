// ZOGY: the proper image subtraction of Zackay, Ofek & Gal-Yam (2016, ApJ
// 830, 27). In Fourier space it builds the difference image D, whose noise is
// white, and the score S_corr, the optimal point-source detection statistic
// corrected for the source noise of both images. Computed on overlapping
// tiles so the PSFs may vary across the frame.
#pragma once

#include <vector>

#include "image.h"
#include "noise_correlation.h"
#include "sources.h"
#include "status.h"

namespace blink {

// Tiles are kZogyTile pixels plus kZogyMargin on each side (over twice the
// widest PSF stamp's half-width, 25; 1152 = 2^7 * 3^2 is a fast FFT size).
// Fixed so that an image size always means the same FFT size, whose plan is
// measured only once.
inline constexpr int kZogyTile = 1024;
inline constexpr int kZogyMargin = 64;

// Makes the FFT plans zogy_subtract will need for images of this size, so
// the first exposure does not pay for measuring them.
void warm_zogy_plans(int width, int height);

struct ZogyInputs {
  const Image* science = nullptr;    // N: background subtracted
  const Image* reference = nullptr;  // R: aligned to N, background subtracted
  const Image* science_var = nullptr;
  const Image* reference_var = nullptr;
  const Mask* mask = nullptr;        // union of both images' masks
  const std::vector<Source>* stars = nullptr;  // science catalogue, for per-tile PSFs
  Image science_psf;    // global PSFs (odd sides, sum 1), used where a tile has too few stars
  Image reference_psf;
  // Pixel-to-pixel noise correlation of each image: its noise power spectrum
  // replaces the flat one ZOGY assumes, so D stays white for coadds too.
  NoiseCorrelation science_noise, reference_noise;
  double flux_ratio = 1;  // reference flux / science flux of the same star (F_r with F_n = 1)
  int tile = kZogyTile;      // core size of a tile; tiles overlap by `margin` on each side
  int margin = kZogyMargin;  // fixed, so the FFT size depends on the image size alone
  int threads = 2;
};

struct ZogyOutput {
  Image diff;      // D scaled to science flux units: a point source of flux f is f * P_D
  Image variance;  // per-pixel variance of `diff`: white on the sky, higher on sources
  Image score;     // S_corr: significance of a point source at each pixel
  Image flux;      // S / F_S: the point-source flux estimate at each pixel (science ADU)
  Image flux_err;  // its 1-sigma error
  double psf_fwhm = 0;  // FWHM of P_D, pixels
};

Result<ZogyOutput> zogy_subtract(const ZogyInputs& in);

// Median ratio of reference to science flux for stars present in both, from
// aperture sums of `radius` pixels at the science positions.
double fit_flux_ratio(const Image& science, const Image& reference, const Mask& mask,
                      const std::vector<Source>& stars, double radius);

}  // namespace blink
