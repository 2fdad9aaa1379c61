#include "pipeline.h"

#include <algorithm>
#include <cmath>

#include "align.h"
#include "detect.h"
#include "fft_convolve.h"
#include "filters.h"
#include "measure.h"
#include "pattern_match.h"
#include "prepared_image.h"
#include "psf_match.h"
#include "realbogus.h"
#include "stage_timer.h"

namespace blink {

DifferencePipeline::DifferencePipeline(PipelineOptions options) : options_(options) {}
DifferencePipeline::~DifferencePipeline() = default;

Result<std::shared_ptr<const PreparedReference>> DifferencePipeline::prepare_reference(
    const FitsImage& reference) const {
  StageTimings ignored;
  auto prepared = prepare_image(reference, options_, ignored, "ref_");
  if (!prepared) return prepared.status().with_context("preparing reference");
  auto ref = std::make_shared<PreparedReference>();
  ref->image = std::move(prepared).value();
  return std::shared_ptr<const PreparedReference>(std::move(ref));
}

namespace {

// Stars good for fitting the kernel: bright, unsaturated, isolated, on clean pixels in both images.
std::vector<StampCentre> pick_stamps(const PreparedImage& sci, const Mask& ref_mask, int reach, size_t limit) {
  std::vector<const Source*> ok;
  for (const Source& s : sci.sources) {
    if (s.saturated || s.near_edge || s.snr < 25 || s.isolation < 1.5 * s.fwhm) continue;
    int x = int(std::lround(s.x)), y = int(std::lround(s.y));
    if (x - reach < 0 || y - reach < 0 || x + reach >= sci.image.width || y + reach >= sci.image.height) continue;
    bool clean = true;
    for (int dy = -reach / 2; dy <= reach / 2 && clean; dy += 2)
      for (int dx = -reach / 2; dx <= reach / 2 && clean; dx += 2)
        if (ref_mask.at(x + dx, y + dy) || (sci.mask.at(x + dx, y + dy) & ~kMaskCosmicRay)) clean = false;
    if (clean) ok.push_back(&s);
  }
  std::sort(ok.begin(), ok.end(), [](auto* a, auto* b) { return a->snr > b->snr; });
  // Bright first, but spread over the frame: take every k-th of a longer list.
  std::vector<StampCentre> out;
  size_t step = std::max<size_t>(1, ok.size() / (2 * limit));
  for (size_t i = 0; i < ok.size() && out.size() < limit; i += (i < limit ? 1 : step))
    out.push_back({int(std::lround(ok[i]->x)), int(std::lround(ok[i]->y))});
  return out;
}

// Total-over-Gaussian-fit flux of bright stars on `image`: the PSF's wings the fit misses.
double aperture_correction(const Image& image, const Image& variance, const std::vector<StampCentre>& stars,
                           double fwhm) {
  std::vector<double> ratios;
  const double r_ap = 3.0 * fwhm;
  for (const StampCentre& c : stars) {
    PsfFlux f = psf_fit_flux(image, variance, nullptr, 0, c.x, c.y, fwhm);
    if (!f.ok || f.flux <= 0) continue;
    double sum = 0;
    int r = int(std::ceil(r_ap));
    bool inside = true;
    for (int y = c.y - r; y <= c.y + r && inside; ++y)
      for (int x = c.x - r; x <= c.x + r; ++x) {
        if (!image.contains(x, y)) {
          inside = false;
          break;
        }
        if ((x - c.x) * (x - c.x) + (y - c.y) * (y - c.y) <= r_ap * r_ap) sum += image.at(x, y);
      }
    if (inside && sum > 0) ratios.push_back(sum / f.flux);
  }
  if (ratios.size() < 3) return 1.0;
  std::nth_element(ratios.begin(), ratios.begin() + ratios.size() / 2, ratios.end());
  return std::clamp(ratios[ratios.size() / 2], 0.8, 1.6);
}

// Index of reference catalogue positions for nearest-source queries.
class SourceGrid {
 public:
  SourceGrid(const std::vector<Source>& sources, int w, int h) : sources_(sources) {
    gx_ = w / kCell + 1, gy_ = h / kCell + 1;
    cells_.resize(size_t(gx_) * gy_);
    for (size_t i = 0; i < sources.size(); ++i) {
      int bx = std::clamp(int(sources[i].x) / kCell, 0, gx_ - 1), by = std::clamp(int(sources[i].y) / kCell, 0, gy_ - 1);
      cells_[size_t(by) * gx_ + bx].push_back(int(i));
    }
  }
  // Nearest source within two cells, or -1.
  int nearest(double x, double y, double& dist) const {
    int bx = std::clamp(int(x) / kCell, 0, gx_ - 1), by = std::clamp(int(y) / kCell, 0, gy_ - 1);
    int best = -1;
    dist = 1e9;
    for (int dy = -2; dy <= 2; ++dy)
      for (int dx = -2; dx <= 2; ++dx) {
        int cx = bx + dx, cy = by + dy;
        if (cx < 0 || cy < 0 || cx >= gx_ || cy >= gy_) continue;
        for (int i : cells_[size_t(cy) * gx_ + cx]) {
          double d = std::hypot(sources_[i].x - x, sources_[i].y - y);
          if (d < dist) dist = d, best = i;
        }
      }
    return best;
  }

 private:
  static constexpr int kCell = 16;
  const std::vector<Source>& sources_;
  int gx_, gy_;
  std::vector<std::vector<int>> cells_;
};

}  // namespace

Result<DifferenceResult> DifferencePipeline::process(const FitsImage& science,
                                                      const PreparedReference& reference) const {
  DifferenceResult result;
  StageTimings& t = result.timings;
  const int threads = std::max(1, options_.threads);
  auto sci_r = prepare_image(science, options_, t, "");
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

  // 2. PSF matching: convolve whichever image is sharper.
  double area = map.area_ratio(w / 2.0, h / 2.0);
  double ref_fwhm = ref.psf.fwhm / std::sqrt(std::max(area, 1e-6));  // in science pixels
  result.science_fwhm = sci.psf.fwhm;
  result.reference_fwhm = ref_fwhm;
  const bool convolve_science = sci.psf.fwhm < ref_fwhm;
  const Image& sharp = convolve_science ? sci.image : ref_al;
  const Image& broad = convolve_science ? ref_al : sci.image;
  const Image& sharp_var = convolve_science ? sci.variance : var_al;
  const Image& broad_var = convolve_science ? var_al : sci.variance;
  const double fwhm_sharp = std::min(sci.psf.fwhm, ref_fwhm), fwhm_broad = std::max(sci.psf.fwhm, ref_fwhm);
  KernelBasisSpec spec = basis_for(fwhm_sharp, fwhm_broad);
  const int fit_radius = std::clamp(int(std::ceil(2.0 * fwhm_broad)), 5, 15);
  auto stamps = pick_stamps(sci, mask_al, fit_radius + spec.half_width, 150);
  Image fit_var(w, h);
  for (size_t i = 0; i < fit_var.size(); ++i) fit_var.pixels[i] = sharp_var.pixels[i] + broad_var.pixels[i];
  auto sol_r = fit_kernel(sharp, broad, fit_var, stamps, spec, fit_radius);
  if (!sol_r) return sol_r.status().with_context("fitting the PSF-matching kernel");
  const KernelSolution& sol = *sol_r;
  result.method = convolve_science ? "alard-lupton:science" : "alard-lupton:reference";
  Image convolved = fft_convolve(sharp, sol.kernel, threads);
  timer.mark("psf_match");

  // 3. The difference, its variance and its mask.
  DifferenceImage d;
  d.diff = Image(w, h);
  d.variance = Image(w, h);
  d.mask = Mask(w, h, 0);
  double k2 = 0;
  for (float v : sol.kernel.pixels) k2 += double(v) * v;
  const float bgc = float(sol.background), fk2 = float(k2);
  for (size_t i = 0; i < d.diff.size(); ++i) {
    float model = convolved.pixels[i] + bgc;
    d.diff.pixels[i] = convolve_science ? model - ref_al.pixels[i] : sci.image.pixels[i] - model;
    d.variance.pixels[i] = broad_var.pixels[i] + fk2 * sharp_var.pixels[i];
  }
  const Mask& sharp_mask = convolve_science ? sci.mask : mask_al;
  const Mask& broad_mask = convolve_science ? mask_al : sci.mask;
  Mask grown = sharp_mask;
  dilate_mask(grown, kMaskEdge | kMaskNoData | kMaskSaturated, kMaskSaturated, spec.half_width);
  for (size_t i = 0; i < d.mask.size(); ++i) d.mask.pixels[i] = grown.pixels[i] | broad_mask.pixels[i];
  const int border = spec.half_width + 2;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      if (x < border || y < border || x >= w - border || y >= h - border) d.mask.at(x, y) |= kMaskEdge;
  d.psf_fwhm = fwhm_broad;
  d.flux_scale = convolve_science ? sol.kernel_sum : 1.0;
  timer.mark("subtract");

  // 4. Detection on the matched-filter significance image.
  Significance s = significance_image(d, threads);
  result.noise_ratio = s.pixel_noise_ratio;
  DetectionOptions dopt;
  dopt.threshold = options_.detect_threshold;
  dopt.min_pixels = options_.min_pixels;
  dopt.max_candidates = options_.max_candidates;
  auto cands = find_detections(d, s, dopt);
  timer.mark("detect");

  // 5. Measurement, sky positions and context from the reference catalogue.
  double apcor = aperture_correction(broad, broad_var, stamps, fwhm_broad);
  SourceGrid ref_grid(ref.sources, ref.image.width, ref.image.height);
#pragma omp parallel for num_threads(threads) schedule(dynamic, 8)
  for (size_t i = 0; i < cands.size(); ++i) {
    Candidate& c = cands[i];
    measure_candidate(d, s.correlation, apcor, c);
    double rx, ry, dist;
    map.map(c.x, c.y, rx, ry);
    int j = ref_grid.nearest(rx, ry, dist);
    if (j >= 0) {
      c.ref_distance = dist;
      c.ref_mag = ref.sources[j].flux > 0 ? ref.magzp - 2.5 * std::log10(ref.sources[j].flux) : 99;
    }
    if (c.flux > 0) {
      c.mag = sci.magzp - 2.5 * std::log10(c.flux);
      c.mag_err = 1.0857 * c.flux_err / c.flux;
    }
  }
  // Measurement can move a detection onto its neighbour's peak or find no flux: drop those.
  std::erase_if(cands, [](const Candidate& c) { return !(c.flux_err > 0) || !std::isfinite(c.flux); });
  if (sci.wcs) {
    std::vector<PixelCoord> px;
    for (const Candidate& c : cands) px.push_back({c.x, c.y});
    std::vector<SkyCoord> sky;
    if (sci.wcs->to_sky(px, sky)) {
      for (size_t i = 0; i < cands.size(); ++i) cands[i].ra = sky[i].ra, cands[i].dec = sky[i].dec;
    }
  }
  timer.mark("measure");

  for (Candidate& c : cands) c.real_bogus = heuristic_real_bogus(c);
  timer.mark("score");
  result.candidates = std::move(cands);
  return result;
}

}  // namespace blink
