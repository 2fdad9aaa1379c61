// The changes put into a science exposure: supernova-like transients in and
// around galaxies, hostless transients, and the epoch's brightness of each
// variable star. (Asteroids follow their catalogue tracks; see survey.cc.)
#pragma once

#include <string_view>
#include <vector>

#include "artefacts.h"
#include "rng.h"

namespace blink::sim {

// A galaxy as it lies on this exposure.
struct PlacedGalaxy {
  double x, y;
  double half_light_px, axis_ratio, angle_rad;
};

struct Injection {
  std::string_view kind;
  double x = 0, y = 0;  // pixels on this exposure
  double mag = 0;       // now, in the exposure's band
  double flux = 0;      // now, ADU
  double ref_flux = 0;  // in the reference, science ADU (non-zero for variables only)
};

struct TransientPlan {
  int width = 0, height = 0;
  double magzp = 0;
  double density = 1;  // SimConfig::transient_density
  const std::vector<PlacedGalaxy>* galaxies = nullptr;
  const std::vector<SaturatedRun>* saturated = nullptr;  // null: no saturation to avoid
};

// About 30 per 2048^2 (scaled by area and density, at least 8 unless the
// density is 0): 60% in a host within ~2 half-light radii, following its light,
// a quarter of those on the nucleus; 40% hostless. Magnitudes uniform in
// 16.5-23.5. Never within kBorderPx of an edge, kSaturationAvoidPx of a
// saturated pixel, or 12 px of another transient.
std::vector<Injection> place_transients(Rng& rng, const TransientPlan& plan);

// The magnitude change of each of `count` variable stars at one epoch, in
// catalogue order: +-(0.1..1.5) mag about the reference.
std::vector<double> variable_offsets(Rng& rng, int count);

}  // namespace blink::sim
