// fitsh as a third column of the benchmark. ficonv gets the very images
// Blink subtracted (the background-subtracted science and the reference
// already resampled onto its grid), fits its kernel on stars from Blink's
// catalogue of the science image, and its difference image then goes
// through Blink's own detection and measurement, so only the subtraction
// differs between the columns.
#pragma once

#include <string>
#include <vector>

#include "fitsh_runner.h"
#include "pipeline.h"
#include "prepared_image.h"
#include "products.h"

namespace blink::bench {

// What the pipeline's products do not keep but the fitsh column needs: the
// science image's variance, mask and catalogue, and the reference's variance
// and mask on the science grid. Rebuilt with the same detectors/ calls the
// pipeline made (prepare_image, resample_lanczos3 through the products' map).
struct FitshInputs {
  PreparedImage science;
  Image reference_variance;
  Mask reference_mask;
};

Result<FitshInputs> rebuild_fitsh_inputs(const FitsImage& science, const Mask* bad_pixels,
                                         const PreparedReference& reference,
                                         const DifferenceProducts& products, const PipelineOptions& options);

struct FitshRun {
  std::vector<Candidate> candidates;
  double noise_ratio = 0;   // as Blink measures it on its own differences
  StageTimings timings;     // subtract (the whole ficonv round trip), detect, measure, score
  DifferenceImage difference;    // ficonv's difference with its variance and mask
  FitshSubtraction subtraction;  // its diff moved into `difference`; kernel, times, command kept
  std::string kernel_spec;  // the ficonv -k that ran
  int stamps = 0;
};

// Stars to fit the kernel on: bright, unsaturated, isolated, away from the
// edges and from masked pixels in either image; the brightest `limit`. Each
// stamp covers the star to 2 FWHM (as Blink's own fit) plus the kernel's reach.
std::vector<Stamp> pick_fitsh_stamps(const PreparedImage& science, const Mask& reference_mask,
                                     double broad_fwhm, int kernel_half_size, size_t limit);

// Runs ficonv (config.kernel_spec empty: fast_kernel_spec for this pair),
// then Blink's significance image, detection, measurement, reference
// context and heuristic real/bogus score on its difference.
Result<FitshRun> run_fitsh_method(const FitshInputs& inputs, const DifferenceProducts& products,
                                  const PreparedReference& reference, double reference_fwhm,
                                  FitshConfig config, const PipelineOptions& options);

}  // namespace blink::bench
