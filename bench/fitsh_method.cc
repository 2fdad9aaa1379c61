#include "fitsh_method.h"

#include <algorithm>
#include <cmath>

#include "align.h"
#include "detect.h"
#include "measure.h"
#include "realbogus.h"
#include "stage_timer.h"
#include "subtraction.h"

namespace blink::bench {

Result<FitshInputs> rebuild_fitsh_inputs(const FitsImage& science, const Mask* bad_pixels,
                                         const PreparedReference& reference,
                                         const DifferenceProducts& products, const PipelineOptions& options) {
  FitshInputs in;
  StageTimings ignored;
  auto sci = prepare_image(science, options, ignored, "", bad_pixels);
  if (!sci) return sci.status().with_context("preparing the science image for fitsh");
  in.science = std::move(sci).value();
  Image resampled;
  const PreparedImage& ref = reference.image;
  resample_lanczos3(ref.image, &ref.variance, ref.mask, products.map, resampled, &in.reference_variance,
                    in.reference_mask, std::max(1, options.threads));
  return in;
}

std::vector<Stamp> pick_fitsh_stamps(const PreparedImage& sci, const Mask& ref_mask, double broad_fwhm,
                                     int kernel_half, size_t limit) {
  const int half = std::clamp(int(std::ceil(2.0 * broad_fwhm)), 5, 15) + kernel_half;
  const int w = sci.image.width, h = sci.image.height;
  std::vector<const Source*> ok;
  for (const Source& s : sci.sources) {
    if (s.saturated || s.near_edge || s.snr < 25 || s.isolation < 1.5 * broad_fwhm) continue;
    const int x = int(std::lround(s.x)), y = int(std::lround(s.y)), reach = half + 2;
    if (x - reach < 0 || y - reach < 0 || x + reach >= w || y + reach >= h) continue;
    bool clean = true;
    for (int dy = -half; dy <= half && clean; ++dy)
      for (int dx = -half; dx <= half && clean; ++dx)
        if (ref_mask.at(x + dx, y + dy) || (sci.mask.at(x + dx, y + dy) & ~kMaskCosmicRay)) clean = false;
    if (clean) ok.push_back(&s);
  }
  std::sort(ok.begin(), ok.end(), [](const Source* a, const Source* b) { return a->snr > b->snr; });
  std::vector<Stamp> out;
  for (size_t i = 0; i < ok.size() && out.size() < limit; ++i) out.push_back({ok[i]->x, ok[i]->y, half});
  return out;
}

namespace {

// The nearest reference-catalogue star to each candidate, as the pipeline
// records it (ref_distance, ref_mag): bright-star residuals are told by it.
void add_reference_context(std::vector<Candidate>& cands, const DifferenceProducts& products,
                           const PreparedImage& ref) {
  for (Candidate& c : cands) {
    double rx, ry;
    products.map.map(c.x, c.y, rx, ry);
    int best = -1;
    double best_d = 32;  // the pipeline looks about this far
    for (size_t j = 0; j < ref.sources.size(); ++j) {
      if (std::abs(ref.sources[j].x - rx) >= best_d) continue;
      double d = std::hypot(ref.sources[j].x - rx, ref.sources[j].y - ry);
      if (d < best_d) best_d = d, best = int(j);
    }
    if (best < 0) continue;
    c.ref_distance = best_d;
    c.ref_mag = ref.sources[best].flux > 0 ? ref.magzp - 2.5 * std::log10(ref.sources[best].flux) : 99;
  }
}

}  // namespace

Result<FitshRun> run_fitsh_method(const FitshInputs& in, const DifferenceProducts& products,
                                  const PreparedReference& reference, double reference_fwhm,
                                  FitshConfig config, const PipelineOptions& options) {
  const PreparedImage& sci = in.science;
  const int threads = std::max(1, options.threads);
  const double broad = std::max(sci.psf.fwhm, reference_fwhm);
  if (config.kernel_spec.empty()) config.kernel_spec = fast_kernel_spec(sci.psf.fwhm, reference_fwhm);
  FitshRun run;
  run.kernel_spec = config.kernel_spec;
  StageTimer timer(run.timings);
  auto stamps = pick_fitsh_stamps(sci, in.reference_mask, broad, kernel_half_size(config.kernel_spec), 250);
  run.stamps = int(stamps.size());
  auto sub = run_ficonv(products.science, products.reference, stamps, config);
  if (!sub) return sub.status();
  run.subtraction = std::move(sub).value();
  timer.mark("subtract");

  // ficonv convolves the reference only: the difference keeps the science
  // PSF, and the reference's noise enters scaled by the kernel's squares.
  DifferenceImage& d = run.difference;
  d.diff = std::move(run.subtraction.diff);
  run.subtraction.diff = Image();
  const int w = d.diff.width, h = d.diff.height;
  d.variance = Image(w, h);
  const float k2 = float(run.subtraction.kernel.sum_sq);
  for (size_t i = 0; i < d.variance.size(); ++i)
    d.variance.pixels[i] = sci.variance.pixels[i] + k2 * in.reference_variance.pixels[i];
  const int hk = run.subtraction.kernel.half_size;
  d.mask = difference_mask(sci.mask, in.reference_mask, hk + 2, hk, /*science_convolved=*/false);
  d.psf_fwhm = sci.psf.fwhm;
  d.flux_scale = 1;
  Significance s = significance_image(d, threads);
  run.noise_ratio = s.pixel_noise_ratio;
  DetectionOptions dopt;
  dopt.threshold = options.detect_threshold;
  dopt.min_pixels = options.min_pixels;
  dopt.max_candidates = options.max_candidates;
  run.candidates = find_detections(d, s, dopt);
  timer.mark("detect");

  // No aperture correction: the pipeline measures it inside its own
  // subtraction; matching to the truth is by position and does not use it.
  for (Candidate& c : run.candidates) {
    measure_candidate(d, s.correlation, 1.0, c);
    if (c.flux > 0) {
      c.mag = sci.magzp - 2.5 * std::log10(c.flux);
      c.mag_err = 1.0857 * c.flux_err / c.flux;
    }
  }
  std::erase_if(run.candidates, [](const Candidate& c) { return !(c.flux_err > 0) || !std::isfinite(c.flux); });
  add_reference_context(run.candidates, products, reference.image);
  timer.mark("measure");
  for (Candidate& c : run.candidates) c.real_bogus = heuristic_real_bogus(c);
  timer.mark("score");
  return run;
}

}  // namespace blink::bench
