#include "render_exposure.h"

#include <cmath>
#include <limits>
#include <memory>

#include "injections.h"
#include "instrument.h"
#include "noise.h"
#include "observing.h"
#include "photometry.h"

namespace blink::sim {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Variables never brighten past this (band mag), so they stay unsaturated
// even in the best seeing.
constexpr double kVariableBrightest = 15.5;

double flux_of(double mag, double zp) { return std::pow(10.0, -0.4 * (mag - zp)); }
double mag_of(double flux, double zp) { return flux > 0 ? zp - 2.5 * std::log10(flux) : kNaN; }

// A galaxy's light as Gaussians before the PSF: an exponential disk plus, for
// some, a compact rounder exponential bulge.
Mixture galaxy_profile(const CatalogueGalaxy& g) {
  static const ScaleMixture exponential = exponential_mixture();
  Mixture m;
  const double h = g.half_light_px / kExponentialHalfLight;
  append_shaped(exponential, h, Shape::elliptical(g.axis_ratio, g.angle_rad),
                1.0 - g.bulge_fraction, m);
  if (g.bulge_fraction > 0) {
    append_shaped(exponential, 0.2 * h, Shape::elliptical(std::sqrt(g.axis_ratio), g.angle_rad),
                  g.bulge_fraction, m);
  }
  return m;
}

// One exposure in the making: its conditions, then the pixels and truth so far.
struct Frame {
  Frame(const ExposureInputs& inputs, VisitConditions v, CcdConditions c,
        std::vector<FitsCard> cards, Wcs true_wcs)
      : in(inputs),
        band(*find_band(inputs.config.bands[size_t(inputs.spec.band)])),
        science(inputs.spec.kind == ExposureKind::kScience),
        visit(v),
        ccd(c),
        wcs_cards(std::move(cards)),
        wcs(std::move(true_wcs)),
        psf(v.psf),
        zp(exposure_magzp(band, inputs.spec.exptime_s, v.extinction)),
        sky(exposure_sky(band, v, c, inputs.spec.exptime_s, inputs.config.pixel_scale_arcsec,
                         inputs.config.width, inputs.config.height)),
        expected(inputs.config.width, inputs.config.height) {
    psf.width = inputs.config.width;
    psf.height = inputs.config.height;
    psf.prepare();
  }

  const ExposureInputs& in;
  const Band& band;
  const bool science;
  const VisitConditions visit;
  const CcdConditions ccd;
  const std::vector<FitsCard> wcs_cards;  // the true WCS
  const Wcs wcs;
  PsfModel psf;
  const double zp;
  const SkyBackground sky;

  Image expected;
  std::vector<PixelCoord> star_px;
  std::vector<PlacedGalaxy> galaxies;
  std::vector<Injection> injected;
  std::vector<TruthRow> artefacts;

  int width() const { return in.config.width; }
  int height() const { return in.config.height; }
  bool on_frame(double x, double y) const {
    return x >= -0.5 && y >= -0.5 && x < width() - 0.5 && y < height() - 0.5;
  }
  double band_mag(double mag_r, double colour) const { return mag_r + colour * band.colour_coeff; }
  // The random stream of `what` for this exposure.
  uint64_t stream(Stream what) const {
    const ExposureSpec& s = in.spec;
    return stream_seed(in.config.seed, what, {s.field, s.band, s.ccd, s.epoch});
  }
  TruthRow row(std::string_view kind, double x, double y, double mag, double snr = 0) const {
    return {in.spec.exposure_id, std::string(kind), x, y, 0, 0, mag, snr};
  }
};

Result<std::unique_ptr<Frame>> plan_frame(const ExposureInputs& in) {
  const SimConfig& c = in.config;
  const ExposureSpec& spec = in.spec;
  const VisitConditions visit = visit_conditions(c.seed, spec.field, spec.band, spec.epoch);
  const CcdConditions ccd = ccd_conditions(c, spec.field, spec.band, spec.ccd, spec.epoch);
  auto cards = true_wcs_cards(c, in.nominal, spec.ccd, visit);
  if (!cards) return cards.status();
  auto wcs = wcs_from_cards(*cards);
  if (!wcs) return wcs.status().with_context("true WCS");
  return std::make_unique<Frame>(in, visit, ccd, std::move(*cards), std::move(*wcs));
}

// Stars, variables at this epoch's brightness (at their base brightness in a reference).
Status render_stars(Frame& f) {
  const auto& stars = f.in.catalogue.stars;
  std::vector<SkyCoord> sky;
  for (const CatalogueStar& s : stars) sky.push_back(s.sky);
  if (Status st = f.wcs.to_pixel(sky, f.star_px); !st) return st.with_context("placing stars");
  int nvariables = 0;
  for (const CatalogueStar& s : stars) nvariables += s.variable;
  Rng rng(f.stream(Stream::kVariables));
  const std::vector<double> delta = variable_offsets(rng, f.science ? nvariables : 0);
  size_t vi = 0;
  for (size_t i = 0; i < stars.size(); ++i) {
    const PixelCoord p = f.star_px[i];
    const double base = f.band_mag(stars[i].mag_r, stars[i].colour);
    double mag = base;
    if (stars[i].variable && f.science) {
      mag = std::max(kVariableBrightest, base + delta[vi++]);
      if (f.on_frame(p.x, p.y)) {
        f.injected.push_back(
            {kKindVariable, p.x, p.y, mag, flux_of(mag, f.zp), flux_of(base, f.zp)});
      }
    }
    add_mixture(f.expected, p.x, p.y, flux_of(mag, f.zp), f.psf.mixture_at(p.x, p.y),
                kRenderFloorAdu);
  }
  return Status::ok();
}

// Galaxies, each convolved exactly with the PSF where it lies.
Status render_galaxies(Frame& f) {
  const auto& galaxies = f.in.catalogue.galaxies;
  std::vector<SkyCoord> sky;
  for (const CatalogueGalaxy& g : galaxies) sky.push_back(g.sky);
  std::vector<PixelCoord> px;
  if (Status st = f.wcs.to_pixel(sky, px); !st) return st.with_context("placing galaxies");
  Mixture convolved;
  for (size_t i = 0; i < galaxies.size(); ++i) {
    const CatalogueGalaxy& g = galaxies[i];
    convolved.clear();
    append_convolution(galaxy_profile(g), f.psf.mixture_at(px[i].x, px[i].y), convolved);
    add_mixture(f.expected, px[i].x, px[i].y, flux_of(f.band_mag(g.mag_r, g.colour), f.zp),
                convolved, kRenderFloorAdu);
    f.galaxies.push_back({px[i].x, px[i].y, g.half_light_px, g.axis_ratio, g.angle_rad});
  }
  return Status::ok();
}

void note_saturated_stars(Frame& f) {
  const auto& stars = f.in.catalogue.stars;
  for (size_t i = 0; i < stars.size(); ++i) {
    const PixelCoord p = f.star_px[i];
    if (!f.on_frame(p.x, p.y)) continue;
    if (f.expected.at(int(std::lround(p.x)), int(std::lround(p.y))) < kSaturate) continue;
    TruthRow r = f.row(kKindSaturatedStar, p.x, p.y, f.band_mag(stars[i].mag_r, stars[i].colour));
    r.ra = stars[i].sky.ra;
    r.dec = stars[i].sky.dec;
    f.artefacts.push_back(r);
  }
}

// Transients where the saturation (known now, before they are drawn) allows,
// and asteroids where their tracks are at mid-exposure.
// A field's transients are planned once, on its nominal grid (same seed for
// every epoch and band), so that each one sits at the same sky position in
// every exposure of the field, as supernovae do over a night; each exposure
// then carries them to its own pixels and drops any that land on its
// saturated stars or off the frame.
Status place_field_transients(Frame& f, const std::vector<SaturatedRun>& saturated) {
  const ExposureSpec& spec = f.in.spec;
  const auto& galaxies = f.in.catalogue.galaxies;
  std::vector<SkyCoord> sky;
  for (const CatalogueGalaxy& g : galaxies) sky.push_back(g.sky);
  std::vector<PixelCoord> px;
  if (Status st = f.in.nominal.to_pixel(sky, px); !st) return st.with_context("transient hosts");
  std::vector<PlacedGalaxy> hosts;
  for (size_t i = 0; i < galaxies.size(); ++i)
    hosts.push_back({px[i].x, px[i].y, galaxies[i].half_light_px, galaxies[i].axis_ratio, galaxies[i].angle_rad});
  Rng rng(stream_seed(f.in.config.seed, Stream::kInjections, {spec.field, spec.ccd}));
  TransientPlan plan{f.width(), f.height(), f.zp, f.in.config.transient_density, &hosts, nullptr};
  std::vector<Injection> planned = place_transients(rng, plan);

  std::vector<PixelCoord> nominal_px, here;
  for (const Injection& t : planned) nominal_px.push_back({t.x, t.y});
  if (Status st = f.in.nominal.to_sky(nominal_px, sky); !st) return st.with_context("transients");
  if (Status st = f.wcs.to_pixel(sky, here); !st) return st.with_context("transients");
  for (size_t i = 0; i < planned.size(); ++i) {
    Injection t = planned[i];
    t.x = here[i].x, t.y = here[i].y;
    if (!f.on_frame(t.x, t.y) || near_saturation(saturated, t.x, t.y, kSaturationAvoidPx)) continue;
    f.injected.push_back(t);
  }
  return Status::ok();
}

Status inject_changes(Frame& f) {
  const std::vector<SaturatedRun> saturated = predict_saturation(f.expected, kSaturate);
  if (Status st = place_field_transients(f, saturated); !st) return st;

  const ExposureSpec& spec = f.in.spec;
  const double mjd_mid = spec.mjd_obs + 0.5 * spec.exptime_s / 86400.0;
  std::vector<PixelCoord> nominal_px, px;
  for (const MovingObject& m : f.in.catalogue.movers) {
    nominal_px.push_back({m.x0 + m.vx * (mjd_mid - m.mjd0), m.y0 + m.vy * (mjd_mid - m.mjd0)});
  }
  std::vector<SkyCoord> sky;
  if (Status st = f.in.nominal.to_sky(nominal_px, sky); !st) return st.with_context("asteroids");
  if (Status st = f.wcs.to_pixel(sky, px); !st) return st.with_context("asteroids");
  for (size_t i = 0; i < px.size(); ++i) {
    if (!f.on_frame(px[i].x, px[i].y)) continue;
    const MovingObject& m = f.in.catalogue.movers[i];
    const double mag = f.band_mag(m.mag_r, m.colour);
    f.injected.push_back({kKindMoving, px[i].x, px[i].y, mag, flux_of(mag, f.zp), 0});
  }
  for (const Injection& t : f.injected) {
    if (t.kind == kKindVariable) continue;  // drawn with the stars
    add_mixture(f.expected, t.x, t.y, t.flux, f.psf.mixture_at(t.x, t.y), kRenderFloorAdu);
  }
  return Status::ok();
}

// Truth rows of the injected changes, with their S/N on the difference
// between this exposure and its field's reference.
Status score_changes(const Frame& f, std::vector<TruthRow>& truth) {
  if (f.injected.empty()) return Status::ok();
  const SimConfig& c = f.in.config;
  const ExposureSpec& spec = f.in.spec;
  const double ref_exptime = c.exptime_s * kReferenceDepth;
  const VisitConditions ref_visit = visit_conditions(c.seed, spec.field, spec.band, -1);
  const CcdConditions ref_ccd = ccd_conditions(c, spec.field, spec.band, spec.ccd, -1);
  DifferenceNoise noise;
  noise.expected = &f.expected;
  noise.science_sky = f.sky;
  noise.reference_sky = exposure_sky(f.band, ref_visit, ref_ccd, ref_exptime, c.pixel_scale_arcsec,
                                     f.width(), f.height());
  noise.reference_to_science =
      std::pow(10.0, -0.4 * (exposure_magzp(f.band, ref_exptime, ref_visit.extinction) - f.zp));
  noise.gain = kGain;
  noise.read_noise_e = kReadNoise;
  PsfModel reference_psf = ref_visit.psf;
  reference_psf.width = f.width(), reference_psf.height = f.height();
  reference_psf.prepare();
  noise.reference_psf = &reference_psf;

  std::vector<PixelCoord> px;
  for (const Injection& t : f.injected) px.push_back({t.x, t.y});
  std::vector<SkyCoord> sky;
  if (Status st = f.wcs.to_sky(px, sky); !st) return st.with_context("injections on the sky");
  for (size_t i = 0; i < f.injected.size(); ++i) {
    const Injection& t = f.injected[i];
    TruthRow r =
        f.row(t.kind, t.x, t.y, t.mag, expected_snr(noise, f.psf, t.x, t.y, t.flux, t.ref_flux));
    r.ra = sky[i].ra;
    r.dec = sky[i].dec;
    truth.push_back(r);
  }
  return Status::ok();
}

// Photon and read noise, then cosmic rays, then the charge overflow and the
// ADC's clipping, in the order the detector applies them.
void read_out(Frame& f, Image& image) {
  realise_noise(f.expected, f.stream(Stream::kNoise), kGain, kReadNoise, f.in.config.threads,
                image);
  Rng rng(f.stream(Stream::kCosmicRays));
  for (const CosmicRay& ray : draw_cosmic_rays(rng, f.width(), f.height(), f.in.spec.exptime_s)) {
    f.artefacts.push_back(
        f.row(kKindCosmicRay, ray.x, ray.y, mag_of(add_cosmic_ray(ray, image), f.zp)));
  }
  bleed_and_clip(image, kSaturate);
}

// Detector defects are at fixed pixels: their sky positions come from the
// true WCS (saturated stars already carry their catalogue position).
Status note_defects(Frame& f) {
  for (const HotPixel& h : f.in.defects.hot) {
    f.artefacts.push_back(
        f.row(kKindHotPixel, h.x, h.y, mag_of(h.rate_adu_s * f.in.spec.exptime_s, f.zp)));
  }
  for (const WarmColumn& w : f.in.defects.warm) {
    f.artefacts.push_back(f.row(kKindWarmColumn, w.x, 0.5 * (w.y0 + w.y1), kNaN));
  }
  std::vector<PixelCoord> px;
  for (const TruthRow& r : f.artefacts) px.push_back({r.x, r.y});
  std::vector<SkyCoord> sky;
  if (Status st = f.wcs.to_sky(px, sky); !st) return st.with_context("artefacts on the sky");
  for (size_t i = 0; i < f.artefacts.size(); ++i) {
    if (f.artefacts[i].kind == kKindSaturatedStar) continue;
    f.artefacts[i].ra = sky[i].ra;
    f.artefacts[i].dec = sky[i].dec;
  }
  return Status::ok();
}

// The true WCS with the injected CRPIX error, then the camera's facts.
std::vector<FitsCard> header(const Frame& f, const SimExposure& e) {
  std::vector<FitsCard> k = f.wcs_cards;
  for (FitsCard& card : k) {
    if (card.key == "CRPIX1") card.value = std::get<double>(card.value) + f.ccd.crpix_error_x;
    if (card.key == "CRPIX2") card.value = std::get<double>(card.value) + f.ccd.crpix_error_y;
  }
  k.push_back({"GAIN", kGain, "[e-/ADU]"});
  k.push_back({"RDNOISE", kReadNoise, "[e-] read noise"});
  k.push_back({"SATURATE", kSaturate, "[ADU] the ADC clips here"});
  k.push_back({"MAGZP", f.zp, "mag of 1 ADU in this exposure"});
  k.push_back({"EXPTIME", e.exptime_s, "[s]"});
  k.push_back({"MJD-OBS", e.mjd_obs, "[d] start of exposure (UTC)"});
  k.push_back({"FILTER", e.band, ""});
  k.push_back({"FIELD", e.field, ""});
  k.push_back({"CCDNUM", long(e.ccd), ""});
  k.push_back({"SEEING", f.psf.fwhm, "[px] PSF FWHM at the frame centre"});
  k.push_back({"EXPID", e.exposure_id, ""});
  k.push_back({"IMAGETYP", e.kind, ""});
  k.push_back({"ORIGIN", std::string("blink-sim"), "simulated exposure"});
  return k;
}

}  // namespace

Result<SimExposure> render_exposure(const ExposureInputs& in) {
  auto planned = plan_frame(in);
  if (!planned) return planned.status();
  Frame& f = **planned;

  SimExposure out;
  out.exposure_id = in.spec.exposure_id;
  out.kind = f.science ? "science" : "reference";
  out.field = field_name(in.spec.field);
  out.band = f.band.name;
  out.ccd = in.spec.ccd;
  out.mjd_obs = in.spec.mjd_obs;
  out.exptime_s = in.spec.exptime_s;
  out.seeing_fwhm_px = f.psf.fwhm;
  out.magzp = f.zp;
  out.compression = in.config.compress ? FitsCompression::kRice : FitsCompression::kNone;

  f.sky.fill(f.expected);
  if (Status s = render_stars(f); !s) return s;
  if (Status s = render_galaxies(f); !s) return s;
  add_dark_current(in.defects, in.spec.exptime_s, f.expected);
  note_saturated_stars(f);
  if (f.science) {
    if (Status s = inject_changes(f); !s) return s;
    if (Status s = score_changes(f, out.truth); !s) return s;
  }
  out.injected = int(f.injected.size());
  read_out(f, out.image);
  if (Status s = note_defects(f); !s) return s;
  out.truth.insert(out.truth.end(), f.artefacts.begin(), f.artefacts.end());
  out.cards = header(f, out);
  if (in.config.keep_expected) out.expected = std::move(f.expected);
  return out;
}

}  // namespace blink::sim
