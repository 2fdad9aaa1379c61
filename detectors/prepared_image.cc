#include "prepared_image.h"

#include <algorithm>
#include <cmath>

#include "background.h"
#include "cosmic.h"
#include "filters.h"
#include "stage_timer.h"

namespace blink {

namespace {

// The uncertainty image that came with the exposure is the variance; pixels
// it calls unmeasured (NaN) carry no data.
void use_supplied_variance(const Image& supplied, PreparedImage& out) {
  out.variance = supplied;
  for (size_t i = 0; i < out.variance.size(); ++i) {
    if (std::isfinite(out.variance.pixels[i])) continue;
    out.variance.pixels[i] = 0;
    out.mask.pixels[i] |= kMaskNoData;
    out.image.pixels[i] = 0;
  }
  out.physical_noise = true;
}

// The variance from the header's GAIN and RDNOISE, or from the measured noise.
void estimate_variance(const FitsImage& fits, const Image& raw, const BackgroundMap& bg,
                       const PipelineOptions& options, PreparedImage& out) {
  const int w = raw.width, h = raw.height;
  out.variance = Image(w, h);
  const float inv_gain = float(1.0 / out.gain);
  // Photon noise of the sky from GAIN and RDNOISE where the header has them
  // and the image agrees (a coadd or a rescaled image would not); otherwise
  // the measured pixel-to-pixel noise. Source photons add on top either way.
  bool physical = false;
  if (fits.gain && *fits.gain > 0) {
    double rn = fits.read_noise.value_or(options.default_read_noise) / out.gain;
    std::vector<float> ratio;
    for (size_t i = 0; i < raw.size(); i += 997) {
      double predicted = std::max(bg.level.pixels[i], 0.0f) * inv_gain + rn * rn;
      if (predicted > 0) ratio.push_back(float(bg.rms.pixels[i] * bg.rms.pixels[i] / predicted));
    }
    if (!ratio.empty()) {
      std::nth_element(ratio.begin(), ratio.begin() + ratio.size() / 2, ratio.end());
      float q = ratio[ratio.size() / 2];
      physical = q > 0.6f && q < 1.7f;
    }
    if (physical) {
      const float rn2 = float(rn * rn);
      for (size_t i = 0; i < raw.size(); ++i)
        out.variance.pixels[i] = std::max(bg.level.pixels[i], 0.0f) * inv_gain + rn2 +
                                 std::max(out.image.pixels[i], 0.0f) * inv_gain;
    }
  }
  if (!physical) {
    // Without a trustworthy GAIN the units may not be counts at all (MJy/sr,
    // a rescaled coadd): source photon noise is then unknowable from the
    // header, and the measured background noise is all we claim.
    const float source_term = fits.gain ? inv_gain : 0.0f;
    for (size_t i = 0; i < raw.size(); ++i) {
      float r = bg.rms.pixels[i];
      out.variance.pixels[i] = r * r + std::max(out.image.pixels[i], 0.0f) * source_term;
    }
  }
  out.physical_noise = physical;
}

}  // namespace

Result<PreparedImage> prepare_image(const FitsImage& fits, const PipelineOptions& options,
                                    StageTimings& timings, const std::string& prefix,
                                    const Mask* bad_pixels, const FakeOptions* fakes) {
  StageTimer timer(timings);
  const Image& raw = fits.image;
  const int w = raw.width, h = raw.height;
  if (w < 32 || h < 32) {
    return Status::invalid("image is " + std::to_string(w) + "x" + std::to_string(h) +
                           " pixels; at least 32x32 is needed");
  }
  PreparedImage out;
  out.gain = fits.gain.value_or(options.default_gain);
  if (!(out.gain > 0)) out.gain = options.default_gain;
  out.magzp = fits.magzp.value_or(options.default_magzp);
  out.mask = Mask(w, h, 0);
  size_t bad = 0;
  const float saturate = fits.saturate ? float(*fits.saturate) : INFINITY;
  for (size_t i = 0; i < raw.size(); ++i) {
    float v = raw.pixels[i];
    if (!std::isfinite(v)) {
      out.mask.pixels[i] = kMaskNoData;
      ++bad;
    } else if (v >= saturate) {
      out.mask.pixels[i] = kMaskSaturated;
    }
  }
  if (bad * 2 > raw.size()) {
    return Status::invalid(std::to_string(100 * bad / raw.size()) + "% of pixels are NaN or infinite");
  }
  // Saturated cores bleed and ring: keep a margin around them.
  dilate_mask(out.mask, kMaskSaturated, kMaskSaturated, 2);
  if (bad_pixels && bad_pixels->width == w && bad_pixels->height == h) {
    for (size_t i = 0; i < out.mask.size(); ++i) out.mask.pixels[i] |= bad_pixels->pixels[i] & kMaskBadPixel;
  }

  BackgroundMap bg = estimate_background(raw, out.mask, options.background_mesh, options.threads);
  out.image = raw;
  for (size_t i = 0; i < raw.size(); ++i) {
    out.image.pixels[i] = (out.mask.pixels[i] & kMaskNoData) ? 0.0f : raw.pixels[i] - bg.level.pixels[i];
  }
  out.sky_rms = bg.global_rms;
  timer.mark(prefix + "background");

  SourceOptions so;
  out.sources = extract_sources(out.image, bg.rms, out.mask, so, options.threads);
  out.psf = estimate_psf(out.sources);
  if (out.psf.fwhm <= 0) {
    return Status::invalid("found " + std::to_string(out.sources.size()) +
                           " sources but no bright isolated star to measure the PSF");
  }
  timer.mark(prefix + "sources");

  if (fakes && fakes->per_exposure > 0) {
    out.fakes = choose_fakes(*fakes, out.mask, out.sources, out.psf.fwhm, out.magzp);
    Image psf = fake_psf(out.image, out.mask, out.sources, out.psf.fwhm);
    // Photon noise only when GAIN says what a count is, as for the variance's source term below.
    inject_fakes(out.image, psf, out.fakes, fits.gain ? out.gain : 0.0, fakes->seed);
    timer.mark(prefix + "inject_fakes");
  }

  if (fits.variance && fits.variance->width == w && fits.variance->height == h) {
    use_supplied_variance(*fits.variance, out);
  } else {
    estimate_variance(fits, raw, bg, options, out);
  }
  const double sharp_psf = sharpest_psf_width(out.sources, out.psf.fwhm);
  const double margin = star_curvature_margin(out.image, out.sources, sharp_psf);
  out.cosmic_pixels =
      flag_cosmic_rays(out.image, out.variance, out.mask, sharp_psf, kMaskCosmicRay, options.threads, 5.0, margin);
  out.cosmic_pixels += flag_sharp_sources(out.image, out.variance, out.mask, out.sources, sharp_psf, kMaskCosmicRay);
  flag_warm_columns(out.image, bg.rms, out.mask, 48, 8.0, options.threads);
  out.defects = observe_defects(out.mask);
  inpaint_masked(out.image, out.mask, kMaskCosmicRay | kMaskNoData | kMaskBadPixel);
  // Drop catalogue entries that were cosmic rays or hot pixels.
  std::erase_if(out.sources, [&](const Source& s) {
    int x = int(std::lround(s.x)), y = int(std::lround(s.y));
    return !out.mask.contains(x, y) || (out.mask.at(x, y) & kMaskCosmicRay);
  });
  timer.mark(prefix + "cosmics");

  auto wcs = Wcs::from_header(fits.header, fits.header_cards);
  if (wcs) out.wcs = std::move(wcs).value();
  else out.wcs_error = wcs.status().message();
  return out;
}

}  // namespace blink
