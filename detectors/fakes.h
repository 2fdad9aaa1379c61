// Synthetic point sources ("fakes") added to a science image before it is
// subtracted, as ZTF and DES do: recovering them measures the detection
// efficiency, and each one is a known-real example for classifiers and for
// volunteers' training subjects. Fakes are drawn with the science image's
// own PSF and go through every later stage (noise model, cosmic-ray flags,
// subtraction, detection, measurement, score) exactly like a new source.
// prepare_image() runs choose_fakes / fake_psf / inject_fakes between the
// PSF measurement and the noise model; the pipeline calls match_fakes last.
#pragma once

#include <cstdint>
#include <vector>

#include "candidate.h"
#include "image.h"
#include "sources.h"

namespace blink {

struct FakeOptions {
  int per_exposure = 0;           // fakes per science image; 0 disables injection entirely
  double mag_min = 18.5;          // magnitudes on the image's own MAGZP scale, like Candidate::mag;
  double mag_max = 22.5;          //   drawn uniformly in [mag_min, mag_max]
  double host_fraction = 0.5;     // share placed 1-3 PSF FWHM from an extended source, when any
  double min_separation_px = 20;  // between any two fakes
  uint64_t seed = 0;              // mixed with a per-exposure seed (mix_seeds) by the pipeline
};

// One synthetic source as injected. `flux` is the total in science ADU
// (the PSF stamp sums to 1), `mag` = MAGZP - 2.5 log10(flux).
struct InjectedFake {
  int index = 0;  // position in the exposure's list; Candidate::fake_index refers to it
  double x = 0, y = 0;
  double flux = 0;
  double mag = 0;
  bool near_host = false;  // placed beside an extended source rather than uniformly
};

// A seed for one exposure from the configured seed and a per-exposure one
// (the daemon passes a hash of the exposure id). Well mixed: nearby inputs
// give unrelated outputs.
uint64_t mix_seeds(uint64_t configured, uint64_t per_exposure);

// Half-width of the stamp fakes are drawn with (2*half+1 pixels a side),
// about 2.5 FWHM like the subtraction's PSFs. Fakes keep half + 3 pixels
// (the stamp and its sub-pixel shift) from the image border.
int fake_stamp_half(double psf_fwhm);

// Chooses up to options.per_exposure positions and magnitudes, deterministic
// from options.seed alone (no dependence on the C++ library's
// distributions). A fake's core (1.5 FWHM) avoids every masked pixel, fakes
// keep options.min_separation_px from each other, and round(host_fraction *
// per_exposure) are placed 1-3 `psf_fwhm` from a random extended source of
// `sources` (unsaturated, S/N >= 10, moments FWHM >= 1.5 PSF FWHM, no
// catalogued neighbour within its own FWHM), the rest uniformly; a host
// fake with no clean spot near any host is placed uniformly. Without
// extended sources all are uniform; on an image too masked or too small
// for them all, fewer are returned.
std::vector<InjectedFake> choose_fakes(const FakeOptions& options, const Mask& mask,
                                       const std::vector<Source>& sources, double psf_fwhm,
                                       double magzp);

// The PSF fakes are drawn with: the empirical PSF of `image` (background
// subtracted) from the catalogued `stars`, or a Gaussian of `psf_fwhm` when
// too few stars qualify. Sums to 1, (2*fake_stamp_half+1)^2 pixels.
Image fake_psf(const Image& image, const Mask& mask, const std::vector<Source>& stars,
               double psf_fwhm);

// Adds each fake to `image`: `psf` (odd-sized and centred on its middle
// pixel, as fake_psf returns it) shifted to the fake's sub-pixel centre
// (normalised Lanczos-3, so the added flux is exactly `flux`) times `flux`.
// With `gain` > 0 (e-/ADU, known from the header) the injected photons'
// Poisson noise is added too (Gaussian, deterministic from `noise_seed`);
// with 0 the fakes are noiseless. Variance is not touched: inject before the
// variance map is built so the source term covers the fakes.
void inject_fakes(Image& image, const Image& psf, const std::vector<InjectedFake>& fakes,
                  double gain, uint64_t noise_seed);

// Sets Candidate::fake_index on the candidates that recover a fake (and -1
// on all others). Pairs closer than `radius_px` are taken closest first, so
// each fake is claimed by at most one candidate and each candidate claims
// at most one fake. Returns how many fakes were matched.
int match_fakes(std::vector<Candidate>& candidates, const std::vector<InjectedFake>& fakes,
                double radius_px);

}  // namespace blink
