// Routing: where a candidate goes by its real/bogus score and its anomaly
// score. Confident reals are alerts, confident artefacts are archived as
// rejected, the rest go to review by volunteers, and so does anything more
// unusual than the anomaly threshold whatever its score. Thresholds may be
// set per field and band; they change on reload; Router is thread-safe.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "status.h"

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
  bool anomalous = false;  // sent to review by the anomaly threshold
};

// The rule itself, a pure function. A score that is not a number goes to review.
RouteDecision decide_route(double real_bogus, const RoutingThresholds& thresholds);

// Thresholds for one field and/or band ("*" matches any).
struct ThresholdOverride {
  std::string field = "*", band = "*";
  RoutingThresholds thresholds;
};

// routing.overrides: "FIELD/BAND=ALERT/ARCHIVE" rules separated by commas,
// e.g. "F0001/r=0.9/0.1, */g=0.85/0.2". Errors name the rule and what is wrong.
Result<std::vector<ThresholdOverride>> parse_overrides(std::string_view text);

struct RoutingPolicy {
  RoutingThresholds defaults;
  std::vector<ThresholdOverride> overrides;  // the most specific match wins
  double anomaly_threshold = 1.0;            // anomaly >= this: review; 1.0: never
  // The thresholds for a (field, band): field and band > field > band > defaults.
  const RoutingThresholds& for_key(std::string_view field, std::string_view band) const;
};

// The full rule: an anomalous candidate goes to review even when its score is
// confident; otherwise decide_route with the field's thresholds.
RouteDecision decide_route(double real_bogus, double anomaly, std::string_view field,
                           std::string_view band, const RoutingPolicy& policy);

// Holds the current policy for the workers; set_policy applies a reload.
class Router {
 public:
  explicit Router(RoutingPolicy policy) : policy_(std::move(policy)) {}
  explicit Router(RoutingThresholds thresholds) { policy_.defaults = thresholds; }
  void set_policy(RoutingPolicy policy);
  void set_thresholds(RoutingThresholds thresholds);
  RoutingPolicy policy() const;
  RouteDecision route(double real_bogus) const { return decide_route(real_bogus, policy().defaults); }
  RouteDecision route(double real_bogus, double anomaly, std::string_view field,
                      std::string_view band) const {
    std::lock_guard lock(mutex_);
    return decide_route(real_bogus, anomaly, field, band, policy_);
  }

 private:
  mutable std::mutex mutex_;
  RoutingPolicy policy_;
};

}  // namespace blink
