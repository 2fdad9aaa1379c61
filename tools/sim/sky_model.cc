#include "sky_model.h"

#include <algorithm>
#include <cmath>

#include "instrument.h"
#include "rng.h"

namespace blink::sim {
namespace {

// Star counts: dN/dm proportional to 10^(0.3 m) between these magnitudes.
constexpr double kStarBright = 12.0, kStarFaint = 24.0, kStarSlope = 0.3;
// Galaxy counts: steeper, as observed at these magnitudes.
constexpr double kGalaxyBright = 15.5, kGalaxyFaint = 21.0, kGalaxySlope = 0.4;
// Variables: a share of the stars in this (unsaturated, detectable) range.
constexpr double kVariableBright = 16.0, kVariableFaint = 21.0, kVariableShare = 0.012;

// Draws m from dN/dm proportional to 10^(slope m) on [lo, hi] by inverting the CDF.
double power_law_mag(Rng& rng, double lo, double hi, double slope) {
  double a = std::pow(10.0, slope * lo), b = std::pow(10.0, slope * hi);
  return std::log10(a + rng.uniform() * (b - a)) / slope;
}

int scaled_count(double per_reference_area, double area) {
  return std::max(0, int(std::lround(per_reference_area * area / kReferenceArea)));
}

}  // namespace

Result<FieldCatalogue> make_catalogue(uint64_t seed, int field, int ccd, int width, int height,
                                      const Wcs& nominal, const EpochSpan& span) {
  FieldCatalogue cat;
  // Densities belong to the field (galactic latitude); positions to each ccd.
  Rng field_rng(stream_seed(seed, Stream::kField, {field, 1}));
  const double star_density = field_rng.uniform(2000, 4000);
  const double galaxy_density = field_rng.uniform(200, 400);
  Rng rng(stream_seed(seed, Stream::kCatalogue, {field, ccd}));

  const double m = kCatalogueMarginPx;
  const double gen_w = width + 2 * m, gen_h = height + 2 * m;
  auto place = [&](std::vector<PixelCoord>& where) {
    where.push_back({rng.uniform(-m, width - 1 + m), rng.uniform(-m, height - 1 + m)});
  };

  std::vector<PixelCoord> star_px, galaxy_px;
  const int nstars = scaled_count(star_density, gen_w * gen_h);
  for (int i = 0; i < nstars; ++i) {
    place(star_px);
    double mag = power_law_mag(rng, kStarBright, kStarFaint, kStarSlope);
    bool variable = mag >= kVariableBright && mag < kVariableFaint && rng.chance(kVariableShare);
    cat.stars.push_back({{}, mag, rng.uniform(0.2, 1.5), variable});
  }
  const int ngalaxies = scaled_count(galaxy_density, gen_w * gen_h);
  for (int i = 0; i < ngalaxies; ++i) {
    place(galaxy_px);
    CatalogueGalaxy g{};
    g.mag_r = power_law_mag(rng, kGalaxyBright, kGalaxyFaint, kGalaxySlope);
    g.colour = rng.uniform(0.3, 1.1);
    // Brighter galaxies are bigger: 8 px at the bright end, 1.5 px at the faint,
    // with 0.12 dex of scatter.
    double r = 8.0 * std::pow(10.0, -0.13 * (g.mag_r - kGalaxyBright) + 0.12 * rng.normal());
    g.half_light_px = std::clamp(r, 1.5, 8.0);
    g.axis_ratio = rng.uniform(0.25, 1.0);
    g.angle_rad = rng.uniform(0, M_PI);
    g.bulge_fraction = rng.chance(0.4) ? rng.uniform(0.1, 0.5) : 0.0;
    cat.galaxies.push_back(g);
  }

  // Asteroids: 3-6 per 2048^2 frame, 5-60 px between consecutive epochs, on
  // tracks that stay inside the border for the whole run when they fit.
  const int nmovers = std::max(1, scaled_count(3 + rng.uniform_int(4), double(width) * height));
  const double mid_mjd = span.first_mjd + 0.5 * span.spacing_days * (span.epochs - 1);
  for (int i = 0; i < nmovers; ++i) {
    double step = rng.uniform(5, 60), dir = rng.uniform(0, 2 * M_PI);
    double vx = step * std::cos(dir) / span.spacing_days,
           vy = step * std::sin(dir) / span.spacing_days;
    double half_x = 0.5 * std::fabs(vx) * span.spacing_days * span.epochs;
    double half_y = 0.5 * std::fabs(vy) * span.spacing_days * span.epochs;
    auto centre = [&](double size, double half) {
      double lo = kBorderPx + half, hi = size - 1 - kBorderPx - half;
      return lo < hi ? rng.uniform(lo, hi) : 0.5 * (size - 1);
    };
    double x = centre(width, half_x), y = centre(height, half_y);
    cat.movers.push_back({x, y, vx, vy, mid_mjd, rng.uniform(17, 22), rng.uniform(0.4, 0.7)});
  }

  std::vector<SkyCoord> sky;
  Status s = nominal.to_sky(star_px, sky);
  if (!s) return s.with_context("placing stars on the sky");
  for (size_t i = 0; i < sky.size(); ++i) cat.stars[i].sky = sky[i];
  s = nominal.to_sky(galaxy_px, sky);
  if (!s) return s.with_context("placing galaxies on the sky");
  for (size_t i = 0; i < sky.size(); ++i) cat.galaxies[i].sky = sky[i];
  return cat;
}

double SkyBackground::at(double x, double y) const {
  double u = 2.0 * x / std::max(1, width - 1) - 1.0;
  double v = 2.0 * y / std::max(1, height - 1) - 1.0;
  return level * (1.0 + tilt_x * u + tilt_y * v + curvature * (u * u + v * v));
}

void SkyBackground::fill(Image& image) const {
  const double sx = 2.0 / std::max(1, width - 1), sy = 2.0 / std::max(1, height - 1);
  for (int y = 0; y < image.height; ++y) {
    const double v = y * sy - 1.0;
    const double base = 1.0 + tilt_y * v + curvature * v * v;
    float* row = image.row(y);
    for (int x = 0; x < image.width; ++x) {
      const double u = x * sx - 1.0;
      row[x] = float(level * (base + tilt_x * u + curvature * u * u));
    }
  }
}

}  // namespace blink::sim
