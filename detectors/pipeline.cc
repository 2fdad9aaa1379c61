#include "pipeline.h"

#include <algorithm>
#include <cmath>

#include "align.h"
#include "cosmic_veto.h"
#include "detect.h"
#include "filters.h"
#include "measure.h"
#include "pattern_match.h"
#include "products.h"
#include "prepared_image.h"
#include "subtraction.h"
#include "zogy.h"
#include "realbogus.h"
#include "stage_timer.h"
#include "host.h"
#include "source_grid.h"

namespace blink {

namespace {

// Keeps, of candidates closer than `radius` pixels, the most significant.
void drop_duplicates(std::vector<Candidate>& cands, double radius) {
  std::stable_sort(cands.begin(), cands.end(), [](const Candidate& a, const Candidate& b) { return a.snr > b.snr; });
  std::vector<Candidate> kept;
  kept.reserve(cands.size());
  for (Candidate& c : cands) {
    bool dup = false;
    for (const Candidate& k : kept) dup = dup || std::hypot(k.x - c.x, k.y - c.y) < radius;
    if (!dup) kept.push_back(std::move(c));
  }
  cands.swap(kept);
}

// Whether the mean of the 7x7 box around (x, y) stands 4 sigma above the
// sky: a star's wings or a galaxy's light, too faint per pixel to show.
bool on_extended_light(const AlignedReference& aligned, int x, int y) {
  constexpr int kHalf = 3;
  double sum = 0, var = 0;
  int n = 0;
  for (int yy = std::max(0, y - kHalf); yy <= std::min(aligned.image.height - 1, y + kHalf); ++yy)
    for (int xx = std::max(0, x - kHalf); xx <= std::min(aligned.image.width - 1, x + kHalf); ++xx) {
      const float v = aligned.image.at(xx, yy), vv = aligned.variance.at(xx, yy);
      if (!std::isfinite(v) || !(vv > 0)) continue;
      sum += v, var += vv, ++n;
    }
  return n > 0 && sum > 4.0 * std::sqrt(var);
}

// Where the reference's hits and bad pixels land on the science grid:
// filled in, not measured. On empty sky the filling is as good as a
// measurement; on a star or galaxy it cannot restore the core, and a peak in
// the difference there is the filling's error: those pixels get
// kMaskReferenceFilled. A source is recognised by the light around the
// pixel as well as in it: a hit on a star's core may have taken the whole
// core with it, leaving only the star's wings around the filling.
// Resampling spreads flags over the kernel's footprint, so only pixels whose
// nearest reference pixel was filled count.
void mark_reference_filled(AlignedReference& aligned, const Mask& reference_mask, const PixelMap& map) {
  constexpr uint8_t kFilled = kMaskCosmicRay | kMaskBadPixel;
  for (int y = 0; y < aligned.mask.height; ++y)
    for (int x = 0; x < aligned.mask.width; ++x) {
      uint8_t& m = aligned.mask.at(x, y);
      if (!(m & kFilled)) continue;
      double rx, ry;
      map.map(x, y, rx, ry);
      const int ix = int(std::lround(rx)), iy = int(std::lround(ry));
      const float v = aligned.image.at(x, y), var = aligned.variance.at(x, y);
      const bool on_source = (var > 0 && v > 3.0f * std::sqrt(var)) || on_extended_light(aligned, x, y);
      const bool filled = on_source && reference_mask.contains(ix, iy) && (reference_mask.at(ix, iy) & kFilled);
      m = uint8_t((m & ~kFilled) | (filled ? kMaskReferenceFilled : 0));
    }
}

// The median over a grid of unmasked positions of a point source's flux
// error, as the method measures it, turned into a 5-sigma magnitude.
double limiting_magnitude(const DifferenceImage& d, const Subtraction& sub, double correlation,
                          double magzp) {
  constexpr int kGrid = 9;
  const int w = d.diff.width, h = d.diff.height;
  const uint8_t skip = kMaskEdge | kMaskNoData;
  std::vector<double> errors;
  for (int gy = 1; gy < kGrid; ++gy)
    for (int gx = 1; gx < kGrid; ++gx) {
      const int x = gx * w / kGrid, y = gy * h / kGrid;
      if (d.mask.at(x, y) & skip) continue;
      double err = 0;
      if (!sub.flux_err.empty()) {
        err = sub.flux_err.at(x, y) * correlation;
      } else {
        PsfFlux f = psf_fit_flux(d.diff, d.variance, &d.mask, skip, x, y, d.psf_fwhm);
        if (f.ok) err = f.error * correlation * sub.aperture_correction / d.flux_scale;
      }
      if (err > 0 && std::isfinite(err)) errors.push_back(err);
    }
  if (errors.empty()) return 0;
  std::nth_element(errors.begin(), errors.begin() + errors.size() / 2, errors.end());
  return magzp - 2.5 * std::log10(5.0 * errors[errors.size() / 2]);
}

}  // namespace

DifferencePipeline::DifferencePipeline(PipelineOptions options) : options_(options) {}
DifferencePipeline::~DifferencePipeline() = default;

Result<std::shared_ptr<const PreparedReference>> DifferencePipeline::prepare_reference(
    const FitsImage& reference, int threads) const {
  StageTimings ignored;
  PipelineOptions options = options_;
  if (threads > 0) options.threads = threads;
  auto prepared = prepare_image(reference, options, ignored, "ref_");
  if (!prepared) return prepared.status().with_context("preparing reference");
  auto ref = std::make_shared<PreparedReference>();
  ref->image = std::move(prepared).value();
  // Science exposures of this field come next, at this size: plan their FFTs now.
  if (options_.method != "alard-lupton") warm_zogy_plans(ref->image.image.width, ref->image.image.height);
  return std::shared_ptr<const PreparedReference>(std::move(ref));
}


Result<DifferenceResult> DifferencePipeline::process(const FitsImage& science, const PreparedReference& reference,
                                                      const Mask* bad_pixels, uint64_t fake_seed,
                                                      int threads_override) const {
  DifferenceResult result;
  StageTimings& t = result.timings;
  PipelineOptions options = options_;
  if (threads_override > 0) options.threads = threads_override;
  const int threads = std::max(1, options.threads);
  // Fakes go in while the science image is prepared, before alignment and
  // subtraction, so they meet every stage a real new source meets.
  FakeOptions fakes = options_.fakes;
  fakes.seed = mix_seeds(options_.fakes.seed, fake_seed);
  auto sci_r = prepare_image(science, options, t, "", bad_pixels, fakes.per_exposure > 0 ? &fakes : nullptr);
  if (!sci_r) return sci_r.status().with_context("preparing science image");
  const PreparedImage& sci = *sci_r;
  const PreparedImage& ref = reference.image;
  StageTimer timer(t);
  const int w = sci.image.width, h = sci.image.height;

  // 1. Alignment: the reference onto the science grid.
  if (sci.wcs.has_value() != ref.wcs.has_value()) {
    return Status::invalid(std::string("WCS: ") + (sci.wcs ? "reference" : "science") +
                           " image has none (" + (sci.wcs ? ref.wcs_error : sci.wcs_error) + ")");
  }
  auto map_r = PixelMap::from_wcs(sci.wcs ? &*sci.wcs : nullptr, ref.wcs ? &*ref.wcs : nullptr, w, h);
  if (!map_r) return map_r.status();
  PixelMap map = std::move(map_r).value();
  if (!sci.wcs) {
    // No WCS at all: the star patterns alone say how the images relate.
    PatternMatch pm = match_star_patterns(sci.sources, ref.sources);
    if (!pm.ok) return Status::invalid("no WCS, and the star patterns of the two images do not match");
    const double cx[3] = {pm.cx[0], pm.cx[1] - 1, pm.cx[2]}, cy[3] = {pm.cy[0], pm.cy[1], pm.cy[2] - 1};
    map.add_affine(cx, cy);
  }
  AlignmentFit fit = refine_with_stars(map, sci.sources, ref.sources, 8.0);
  result.matched_stars = fit.matched;
  Image ref_al, var_al;
  Mask mask_al;
  resample_lanczos3(ref.image, &ref.variance, ref.mask, map, ref_al, &var_al, mask_al, threads);
  timer.mark("align");

  AlignedReference aligned;
  aligned.image = std::move(ref_al);
  aligned.variance = std::move(var_al);
  aligned.mask = std::move(mask_al);
  mark_reference_filled(aligned, ref.mask, map);
  double area = map.area_ratio(w / 2.0, h / 2.0);
  aligned.fwhm = ref.psf.fwhm / std::sqrt(std::max(area, 1e-6));  // in science pixels
  result.science_fwhm = sci.psf.fwhm;
  result.reference_fwhm = aligned.fwhm;

  // 2. Subtraction by the configured method. `auto` runs ZOGY, and where
  // ZOGY cannot run or its difference is not noise-like (PSFs it could not
  // measure well, as in crowded fields) also Alard-Lupton, keeping whichever
  // difference image's noise is closer to what the inputs predict.
  Result<Subtraction> sub = Status::internal("no subtraction method ran");
  if (options_.method == "zogy" || options_.method == "auto") {
    sub = subtract_zogy(sci, aligned, threads);
    if (!sub && options_.method == "zogy") return sub.status();
  }
  const bool try_al = options_.method == "alard-lupton" ||
                      (options_.method == "auto" && (!sub || sub->significance.pixel_noise_ratio > 1.15));
  if (try_al) {
    auto al = subtract_alard_lupton(sci, aligned, threads);
    auto badness = [](const Subtraction& x) { return std::abs(std::log(x.significance.pixel_noise_ratio)); };
    if (al && (!sub || badness(*al) < badness(*sub))) sub = std::move(al);
    if (!sub) return al.status();
  }
  const DifferenceImage& d = sub->difference;
  const Significance& s = sub->significance;
  result.method = sub->method;
  result.matched_stars = fit.matched;
  result.noise_ratio = s.pixel_noise_ratio;
  timer.mark("subtract");

  // 3. Detection on the significance image.
  DetectionOptions dopt;
  dopt.threshold = options_.detect_threshold;
  dopt.min_pixels = options_.min_pixels;
  dopt.max_candidates = options_.max_candidates;
  auto cands = find_detections(d, s, dopt);
  timer.mark("detect");

  // 5. Measurement, sky positions and context from the reference catalogue.
  SourceGrid ref_grid(ref.sources, ref.image.width, ref.image.height);
  const ReferenceContext ref_context{ref.sources, ref_grid, ref.psf.fwhm, map, ref.magzp};
#pragma omp parallel for num_threads(threads) schedule(dynamic, 8)
  for (size_t i = 0; i < cands.size(); ++i) {
    Candidate& c = cands[i];
    measure_candidate(d, s.correlation, sub->aperture_correction, c);
    if (!sub->flux.empty()) {
      // The method's own flux estimate at the centroid's pixel.
      int px = std::clamp(int(std::lround(c.x)), 0, w - 1), py = std::clamp(int(std::lround(c.y)), 0, h - 1);
      c.flux = sub->flux.at(px, py);
      c.flux_err = sub->flux_err.at(px, py) * s.correlation;
      c.snr = c.flux_err > 0 ? c.flux / c.flux_err : 0;
    }
    double rx, ry, dist;
    map.map(c.x, c.y, rx, ry);
    int j = ref_grid.nearest(rx, ry, dist);
    if (j >= 0) {
      c.ref_distance = dist;
      c.ref_mag = ref.sources[j].flux > 0 ? ref.magzp - 2.5 * std::log10(ref.sources[j].flux) : 99;
    }
    associate_host(c, rx, ry, ref_context);
    if (c.flux > 0) {
      c.mag = sci.magzp - 2.5 * std::log10(c.flux);
      c.mag_err = 1.0857 * c.flux_err / c.flux;
    }
  }
  // Measurement can find no flux, or move a detection onto its neighbour's
  // peak (two detections of one source): drop those, keeping the stronger.
  std::erase_if(cands, [](const Candidate& c) { return !(c.flux_err > 0) || !std::isfinite(c.flux); });
  drop_duplicates(cands, 0.5 * d.psf_fwhm);
  // Hits nearly as wide as the PSF, which the tests before subtraction let
  // through to spare the stars, are held to the nearby stars' width here.
  const CosmicVeto veto(sci.image, sci.sources, sci.psf.fwhm);
  result.cosmic_candidates = int(std::erase_if(cands, [&](const Candidate& c) {
    return c.snr > 0 && veto.is_hit(c.x, c.y, c.snr);
  }));
  if (sci.wcs) {
    std::vector<PixelCoord> px;
    for (const Candidate& c : cands) px.push_back({c.x, c.y});
    std::vector<SkyCoord> sky;
    if (sci.wcs->to_sky(px, sky)) {
      for (size_t i = 0; i < cands.size(); ++i) cands[i].ra = sky[i].ra, cands[i].dec = sky[i].dec;
    }
    px.clear();
    for (const Candidate& c : cands)
      if (c.host_radius > 0) px.push_back({c.host_x, c.host_y});
    if (!px.empty() && sci.wcs->to_sky(px, sky)) {
      size_t k = 0;
      for (Candidate& c : cands)
        if (c.host_radius > 0) c.host_ra = sky[k].ra, c.host_dec = sky[k].dec, ++k;
    }
  }
  result.limiting_mag = limiting_magnitude(d, *sub, s.correlation, sci.magzp);
  timer.mark("measure");

  for (Candidate& c : cands) c.real_bogus = heuristic_real_bogus(c);
  timer.mark("score");
  // Only now, after measurement and score, is a candidate told it is a fake.
  if (!sci.fakes.empty()) match_fakes(cands, sci.fakes, std::max(1.5, 0.5 * sci.psf.fwhm));
  result.fakes = std::move(sci_r->fakes);
  result.candidates = std::move(cands);
  result.defects = std::move(sci_r->defects);
  auto products = std::make_shared<DifferenceProducts>();
  products->science = std::move(sci_r->image);
  products->reference = std::move(aligned.image);
  products->difference = std::move(sub->difference);
  products->flux = std::move(sub->flux);
  products->flux_err = std::move(sub->flux_err);
  products->noise_correlation = s.correlation;
  products->aperture_correction = sub->aperture_correction;
  products->reference_per_science = sub->reference_per_science;
  products->map = std::move(map);
  result.products = std::move(products);
  return result;
}

}  // namespace blink
