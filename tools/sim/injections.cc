#include "injections.h"

#include <algorithm>
#include <cmath>

#include "gaussian_mixture.h"
#include "instrument.h"
#include "survey.h"

namespace blink::sim {
namespace {

constexpr double kTransientsPerFrame = 30;
constexpr int kMinTransients = 8;
constexpr double kHostedShare = 0.6, kNuclearShare = 0.25;
constexpr double kMagLo = 16.5, kMagHi = 23.5;
constexpr double kMaxHostOffsetRe = 2.0;  // half-light radii
constexpr int kAttempts = 200;
// Two transients closer than this would blend and make matching ambiguous.
constexpr double kMinSeparationPx = 12;

bool allowed(const TransientPlan& plan, double x, double y) {
  const double b = kBorderPx;
  if (x < b || y < b || x > plan.width - 1 - b || y > plan.height - 1 - b) return false;
  return !plan.saturated || !near_saturation(*plan.saturated, x, y, kSaturationAvoidPx);
}

bool isolated(const std::vector<Injection>& placed, double x, double y) {
  for (const Injection& t : placed) {
    if (std::hypot(t.x - x, t.y - y) < kMinSeparationPx) return false;
  }
  return true;
}

// Offset from the centre of an exponential disk drawn from its light: radius
// from r e^(-r/h) (a Gamma(2) law, the sum of two exponentials), truncated at
// kMaxHostOffsetRe half-light radii, then stretched onto the galaxy's ellipse.
void host_offset(Rng& rng, const PlacedGalaxy& g, double& dx, double& dy) {
  const double h = g.half_light_px / kExponentialHalfLight;
  double r;
  do {
    r = -h * (std::log(1.0 - rng.uniform()) + std::log(1.0 - rng.uniform()));
  } while (r > kMaxHostOffsetRe * g.half_light_px);
  const double t = rng.uniform(0, 2 * M_PI);
  const double a = r * std::cos(t) / std::sqrt(g.axis_ratio),
               b = r * std::sin(t) * std::sqrt(g.axis_ratio);
  const double c = std::cos(g.angle_rad), s = std::sin(g.angle_rad);
  dx = a * c - b * s;
  dy = a * s + b * c;
}

}  // namespace

std::vector<Injection> place_transients(Rng& rng, const TransientPlan& plan) {
  std::vector<Injection> out;
  if (plan.density <= 0) return out;
  const double area = double(plan.width) * plan.height;
  const double mean = kTransientsPerFrame * plan.density * area / kReferenceArea;
  const int n = std::max(kMinTransients, int(std::lround(mean * rng.uniform(0.85, 1.15))));

  std::vector<const PlacedGalaxy*> hosts;
  for (const PlacedGalaxy& g : *plan.galaxies) {
    if (allowed(plan, g.x, g.y)) hosts.push_back(&g);
  }
  for (int i = 0; i < n; ++i) {
    Injection t;
    t.mag = rng.uniform(kMagLo, kMagHi);
    t.flux = std::pow(10.0, -0.4 * (t.mag - plan.magzp));
    bool placed = false;
    if (!hosts.empty() && rng.chance(kHostedShare)) {
      const bool nuclear = rng.chance(kNuclearShare);
      for (int a = 0; a < kAttempts && !placed; ++a) {
        const PlacedGalaxy& g = *hosts[size_t(rng.uniform_int(int(hosts.size())))];
        double dx = 0, dy = 0;
        if (nuclear) {
          dx = 0.1 * rng.normal();
          dy = 0.1 * rng.normal();
        } else {
          host_offset(rng, g, dx, dy);
        }
        if (!allowed(plan, g.x + dx, g.y + dy) || !isolated(out, g.x + dx, g.y + dy)) continue;
        t.kind = nuclear ? kKindTransientNuclear : kKindTransient;
        t.x = g.x + dx;
        t.y = g.y + dy;
        placed = true;
      }
    }
    for (int a = 0; a < kAttempts && !placed; ++a) {
      double x = rng.uniform(kBorderPx, plan.width - 1 - kBorderPx);
      double y = rng.uniform(kBorderPx, plan.height - 1 - kBorderPx);
      if (!allowed(plan, x, y) || !isolated(out, x, y)) continue;
      t.kind = kKindTransientHostless;
      t.x = x;
      t.y = y;
      placed = true;
    }
    if (placed) out.push_back(t);
  }
  return out;
}

std::vector<double> variable_offsets(Rng& rng, int count) {
  std::vector<double> d(size_t(std::max(0, count)));
  for (double& v : d) {
    double amplitude = rng.uniform(0.1, 1.5);
    v = rng.chance(0.5) ? amplitude : -amplitude;
  }
  return d;
}

}  // namespace blink::sim
