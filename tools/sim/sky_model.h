// What is on the sky of one detector footprint of a field: stars, galaxies and
// asteroids, fixed by the seed. Positions are generated on the detector's
// nominal pixel grid (pointing without offsets) and carried to the sky with
// its nominal WCS, so every exposure of the field sees the same sky.
#pragma once

#include <cstdint>
#include <vector>

#include "image.h"
#include "status.h"
#include "wcs.h"

namespace blink::sim {

struct CatalogueStar {
  SkyCoord sky;
  double mag_r;
  double colour;  // g - r
  bool variable;
};

struct CatalogueGalaxy {
  SkyCoord sky;
  double mag_r;
  double colour;
  double half_light_px;   // circularised, of the whole galaxy's disk
  double axis_ratio;      // minor / major
  double angle_rad;       // major axis, on the nominal grid
  double bulge_fraction;  // share of the light in a compact round bulge
};

// An asteroid moving on a straight line in the nominal grid.
struct MovingObject {
  double x0, y0;  // nominal pixels at mjd0
  double vx, vy;  // pixels per day
  double mjd0;
  double mag_r;
  double colour;
};

struct FieldCatalogue {
  std::vector<CatalogueStar> stars;
  std::vector<CatalogueGalaxy> galaxies;
  std::vector<MovingObject> movers;
};

// When the science epochs happen, so asteroid tracks cross the frame then.
struct EpochSpan {
  double first_mjd = 60000;
  double spacing_days = 0.025;
  int epochs = 1;
};

// The catalogue of (field, ccd). `nominal` maps the nominal grid to the sky.
Result<FieldCatalogue> make_catalogue(uint64_t seed, int field, int ccd, int width, int height,
                                      const Wcs& nominal, const EpochSpan& span);

// Sky brightness across one exposure: a level with a gentle linear and
// quadratic gradient (moonlight, twilight, scattered light).
struct SkyBackground {
  double level = 1000;                           // ADU at the frame centre
  double tilt_x = 0, tilt_y = 0, curvature = 0;  // fractions per unit normalised position
  int width = 1, height = 1;

  double at(double x, double y) const;
  void fill(Image& image) const;
};

}  // namespace blink::sim
