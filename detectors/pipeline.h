// The difference-imaging pipeline: reference + science exposure in,
// measured and scored candidates out. Pure computation: no sockets, no files.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bad_pixels.h"
#include "candidate.h"
#include "fakes.h"
#include "fits_io.h"
#include "status.h"

namespace blink {

struct PipelineOptions {
  double detect_threshold = 5.0;  // sigma on the significance image
  int min_pixels = 3;             // connected pixels above threshold
  double default_gain = 1.0;      // e-/ADU when the header has no GAIN
  double default_read_noise = 5;  // e- when the header has no RDNOISE
  double default_magzp = 25.0;    // when the header has no MAGZP
  int background_mesh = 64;       // pixels per background cell
  int max_candidates = 2000;      // per exposure; the most significant are kept
  int threads = 2;                // FFT and per-row work may use this many
  std::string method = "auto";  // "alard-lupton", "zogy", or "auto" (ZOGY, Alard-Lupton when ZOGY cannot run)
  FakeOptions fakes;              // synthetic sources injected into science images; off by default
};

// A reference image made ready for subtraction: background removed, stars
// catalogued, PSF measured. Immutable once built; shared between threads.
struct PreparedReference;
struct DifferenceProducts;  // products.h

// Wall-clock seconds spent in each named stage, in order.
using StageTimings = std::vector<std::pair<std::string, double>>;

struct DifferenceResult {
  std::vector<Candidate> candidates;
  StageTimings timings;
  std::string method;          // which subtraction method ran
  double noise_ratio = 0;      // measured / expected noise of the difference image
  // 5-sigma point-source limit of the difference image (median over the
  // frame): what a non-detection at a position rules out. 0 when unmeasured.
  double limiting_mag = 0;
  double science_fwhm = 0;     // pixels
  double reference_fwhm = 0;   // pixels
  int matched_stars = 0;       // stars matched between the images for the alignment
  int cosmic_candidates = 0;   // detections dropped as cosmic-ray hits by their width on the science image
  DefectObservation defects;   // the science image's sharp pixels and warm columns
  // The synthetic sources injected into the science image (options.fakes);
  // Candidate::fake_index points into this list.
  std::vector<InjectedFake> fakes;
  // The science, aligned reference and difference images, for cutouts and forced photometry.
  std::shared_ptr<const DifferenceProducts> products;
};

class DifferencePipeline {
 public:
  explicit DifferencePipeline(PipelineOptions options);
  ~DifferencePipeline();

  // `threads` > 0 overrides options.threads for this call (the caller shares
  // the machine's cores among the exposures in flight).
  Result<std::shared_ptr<const PreparedReference>> prepare_reference(const FitsImage& reference,
                                                                     int threads = 0) const;
  // `bad_pixels` (kMaskBadPixel, the science detector's size) is optional.
  // `fake_seed` (e.g. a hash of the exposure id) is mixed with
  // options.fakes.seed to place this exposure's fakes; it changes nothing
  // when options.fakes.per_exposure is 0.
  Result<DifferenceResult> process(const FitsImage& science, const PreparedReference& reference,
                                   const Mask* bad_pixels = nullptr, uint64_t fake_seed = 0,
                                   int threads = 0) const;
  const PipelineOptions& options() const { return options_; }

 private:
  PipelineOptions options_;
};

}  // namespace blink
