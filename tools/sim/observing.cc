#include "observing.h"

#include <cmath>
#include <cstdio>

#include "rng.h"

namespace blink::sim {
namespace {

// Reference seeing; science seeing is this times 0.6-1.8.
constexpr double kRefFwhmLo = 2.7, kRefFwhmHi = 3.3;
constexpr double kSeeingRatioLo = 0.6, kSeeingRatioHi = 1.8;
constexpr double kBetaLo = 2.5, kBetaHi = 4.5;
constexpr double kMaxEllipticity = 0.08;
// FWHM drift per unit normalised position; at a corner the three add to <= 6%.
constexpr double kFwhmTilt = 0.02, kFwhmCurvature = 0.02;
constexpr double kMaxPointingPx = 10.0, kMaxRotationDeg = 0.05;
constexpr double kSkyGradient = 0.03, kSkyCurvature = 0.01;

PixelCoord ccd_offset(int ccd, int ccds, int width) {
  return {(ccd - 0.5 * (ccds - 1)) * (width + kCcdGapPx), 0.0};
}

PixelCoord frame_centre(const SimConfig& c) { return {0.5 * (c.width - 1), 0.5 * (c.height - 1)}; }

std::string format_card(const FitsCard& card) {
  char value[72];
  if (auto* d = std::get_if<double>(&card.value)) {
    std::snprintf(value, sizeof value, "%20.15G", *d);
  } else if (auto* l = std::get_if<long>(&card.value)) {
    std::snprintf(value, sizeof value, "%20ld", *l);
  } else if (auto* s = std::get_if<std::string>(&card.value)) {
    std::snprintf(value, sizeof value, "'%-8s'", s->c_str());
  } else {
    std::snprintf(value, sizeof value, "%20s", std::get<bool>(card.value) ? "T" : "F");
  }
  char line[128];
  std::snprintf(line, sizeof line, "%-8.8s= %s", card.key.c_str(), value);
  std::string out(line);
  out.resize(80, ' ');
  return out;
}

}  // namespace

VisitConditions visit_conditions(uint64_t seed, int field, int band, int epoch) {
  Rng rng(stream_seed(seed, Stream::kVisit, {field, band, epoch}));
  VisitConditions v;
  if (epoch < 0) {
    v.psf.fwhm = rng.uniform(kRefFwhmLo, kRefFwhmHi);
  } else {
    // Seeing is judged against this field's reference, so every epoch is one
    // draw of the science/reference ratio.
    double ref_fwhm = visit_conditions(seed, field, band, -1).psf.fwhm;
    v.psf.fwhm = ref_fwhm * rng.uniform(kSeeingRatioLo, kSeeingRatioHi);
  }
  v.psf.beta = rng.uniform(kBetaLo, kBetaHi);
  v.psf.ellipticity = rng.uniform(0, kMaxEllipticity);
  v.psf.angle_rad = rng.uniform(0, M_PI);
  v.psf.tilt_x = rng.uniform(-kFwhmTilt, kFwhmTilt);
  v.psf.tilt_y = rng.uniform(-kFwhmTilt, kFwhmTilt);
  v.psf.curvature = rng.uniform(-kFwhmCurvature, kFwhmCurvature);
  v.sky_offset_mag = rng.uniform(-0.35, 0.33);
  v.extinction = rng.uniform(0.0, 0.12);
  v.pointing_dx = rng.uniform(-kMaxPointingPx, kMaxPointingPx);
  v.pointing_dy = rng.uniform(-kMaxPointingPx, kMaxPointingPx);
  v.rotation_deg = rng.uniform(-kMaxRotationDeg, kMaxRotationDeg);
  return v;
}

CcdConditions ccd_conditions(const SimConfig& config, int field, int band, int ccd, int epoch) {
  Rng rng(stream_seed(config.seed, Stream::kCcdVisit, {field, band, ccd, epoch}));
  CcdConditions c;
  c.sky_tilt_x = rng.uniform(-kSkyGradient, kSkyGradient);
  c.sky_tilt_y = rng.uniform(-kSkyGradient, kSkyGradient);
  c.sky_curvature = rng.uniform(-kSkyCurvature, kSkyCurvature);
  // wcs_error_px is the rms of the radial error: sigma per axis is that / sqrt(2).
  const double sigma = config.wcs_error_px / std::sqrt(2.0);
  c.crpix_error_x = sigma * rng.normal();
  c.crpix_error_y = sigma * rng.normal();
  return c;
}

double exposure_magzp(const Band& band, double exptime_s, double extinction) {
  return band.zp_1s + 2.5 * std::log10(exptime_s) - extinction;
}

SkyBackground exposure_sky(const Band& band, const VisitConditions& visit, const CcdConditions& ccd,
                           double exptime_s, double pixel_scale_arcsec, int width, int height) {
  // Sky surface brightness through the same zero point as the sources
  // (extinction dims both), times the pixel's solid angle.
  const double zp = exposure_magzp(band, exptime_s, visit.extinction);
  SkyBackground sky;
  sky.level = std::pow(10.0, -0.4 * (band.sky_mag + visit.sky_offset_mag - zp)) *
              pixel_scale_arcsec * pixel_scale_arcsec;
  sky.tilt_x = ccd.sky_tilt_x;
  sky.tilt_y = ccd.sky_tilt_y;
  sky.curvature = ccd.sky_curvature;
  sky.width = width;
  sky.height = height;
  return sky;
}

SkyCoord field_centre(uint64_t seed, int field) {
  Rng rng(stream_seed(seed, Stream::kField, {field, 0}));
  // Uniform on the sphere between Dec -30 and +50: away from the poles, where
  // nothing here needs testing.
  double ra = rng.uniform(0, 360);
  double sin_dec = rng.uniform(std::sin(-30 * M_PI / 180), std::sin(50 * M_PI / 180));
  return {ra, std::asin(sin_dec) * 180 / M_PI};
}

Result<Wcs> wcs_from_cards(const std::vector<FitsCard>& cards) {
  std::string header;
  for (const FitsCard& c : cards) header += format_card(c);
  header += std::string("END").append(77, ' ');
  return Wcs::from_header(header, int(cards.size()) + 1);
}

Result<Wcs> nominal_wcs(const SimConfig& config, int field, int ccd) {
  // The boresight is pixel (0, 0) of a focal-plane grid; each ccd's nominal
  // WCS is a TAN projection about its own centre.
  auto focal = wcs_from_cards(
      tan_wcs_cards(field_centre(config.seed, field), {0, 0}, config.pixel_scale_arcsec, 0));
  if (!focal) return focal.status().with_context("focal-plane WCS");
  auto centre = focal->to_sky(ccd_offset(ccd, config.ccds, config.width));
  if (!centre) return centre.status().with_context("ccd centre");
  return wcs_from_cards(tan_wcs_cards(*centre, frame_centre(config), config.pixel_scale_arcsec, 0));
}

Result<std::vector<FitsCard>> true_wcs_cards(const SimConfig& config, const Wcs& nominal, int ccd,
                                             const VisitConditions& visit) {
  // A CD matrix rotated by theta maps a pixel offset p to the nominal offset
  // R(theta) p (R counter-clockwise), so a ccd at focal-plane offset o looks
  // at the nominal grid point centre + pointing + R o - o.
  const PixelCoord o = ccd_offset(ccd, config.ccds, config.width);
  const double t = visit.rotation_deg * M_PI / 180, c = std::cos(t), s = std::sin(t);
  const PixelCoord centre = frame_centre(config);
  const PixelCoord looks_at{centre.x + visit.pointing_dx + (c * o.x - s * o.y) - o.x,
                            centre.y + visit.pointing_dy + (s * o.x + c * o.y) - o.y};
  auto sky = nominal.to_sky(looks_at);
  if (!sky) return sky.status().with_context("true pointing");
  return tan_wcs_cards(*sky, centre, config.pixel_scale_arcsec, visit.rotation_deg);
}

}  // namespace blink::sim
