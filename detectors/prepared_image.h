// An exposure made ready for subtraction: background removed, bad pixels
// masked and filled in, noise modelled, stars catalogued, PSF measured.
#pragma once

#include <optional>

#include "bad_pixels.h"
#include "fakes.h"
#include "fits_io.h"
#include "pipeline.h"
#include "sources.h"
#include "status.h"
#include "wcs.h"

namespace blink {

struct PreparedImage {
  Image image;     // background subtracted; masked cosmic rays, bad and NaN pixels filled in
  Image variance;  // ADU^2: sky and read noise from the background mesh plus source photons
  Mask mask;
  std::vector<Source> sources;
  PsfEstimate psf;
  std::optional<Wcs> wcs;  // absent when the header has none
  std::string wcs_error;   // why `wcs` is absent
  double gain = 1;
  double magzp = 25;
  double sky_rms = 0;      // typical sky noise, ADU
  int cosmic_pixels = 0;   // pixels flagged as sharper than the PSF
  bool physical_noise = false;  // variance from GAIN/RDNOISE (true) or measured noise
  DefectObservation defects;    // for the detector's bad-pixel model
  std::vector<InjectedFake> fakes;  // synthetic sources added to `image`; empty unless asked for
};

// Runs the per-image stages, appending their timings to `timings` with
// `prefix` (e.g. "ref_") on each stage name. `bad_pixels`, when given and of
// the image's size, marks known detector defects. `fakes`, when given with
// per_exposure > 0, injects synthetic sources (seeded by fakes->seed) after
// the PSF is measured and before the noise model, cosmic-ray flags and
// in-painting, so the variance and every later stage treat them as real
// sources while the catalogue, PSF and alignment stars stay free of them.
Result<PreparedImage> prepare_image(const FitsImage& fits, const PipelineOptions& options,
                                    StageTimings& timings, const std::string& prefix,
                                    const Mask* bad_pixels = nullptr, const FakeOptions* fakes = nullptr);

struct PreparedReference {
  PreparedImage image;
};

}  // namespace blink
