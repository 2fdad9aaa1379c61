// Routing: where a candidate goes by its real/bogus score. Confident reals are
// alerts, confident artefacts are archived as rejected, the rest go to review
// by volunteers. Thresholds change on reload; Router is thread-safe.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace blink {

enum class Route { kAlert, kReview, kRejected };

std::string_view route_name(Route route);  // "alert", "review", "rejected"
std::optional<Route> parse_route(std::string_view name);

// routing.alert_threshold and routing.archive_threshold.
struct RoutingThresholds {
  double alert = 0.8;    // real_bogus >= alert -> alert
  double archive = 0.2;  // real_bogus < archive -> rejected; alert >= archive
};

// Where one candidate goes and why, in words stored and published with it.
struct RouteDecision {
  Route route;
  std::string reason;  // e.g. "real_bogus 0.93 >= alert_threshold 0.80"
};

// The rule itself, a pure function. A score that is not a number goes to review.
RouteDecision decide_route(double real_bogus, const RoutingThresholds& thresholds);

// Holds the current thresholds for the workers; set_thresholds applies a reload.
class Router {
 public:
  explicit Router(RoutingThresholds thresholds) : thresholds_(thresholds) {}
  void set_thresholds(RoutingThresholds thresholds);
  RoutingThresholds thresholds() const;
  RouteDecision route(double real_bogus) const { return decide_route(real_bogus, thresholds()); }

 private:
  mutable std::mutex mutex_;
  RoutingThresholds thresholds_;
};

}  // namespace blink
