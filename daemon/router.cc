#include "router.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace blink {
namespace {

// Prints `a` and `b` with two decimals, or as many more as it takes for the
// printed numbers to compare like the numbers do (0.7995 vs 0.80 reads "0.7995 < 0.8000").
std::pair<std::string, std::string> printed_pair(double a, double b) {
  char pa[32], pb[32];
  for (int digits = 2; digits <= 12; ++digits) {
    std::snprintf(pa, sizeof pa, "%.*f", digits, a);
    std::snprintf(pb, sizeof pb, "%.*f", digits, b);
    double ra = std::strtod(pa, nullptr), rb = std::strtod(pb, nullptr);
    if ((ra < rb) == (a < b) && (ra == rb) == (a == b)) break;
  }
  return {pa, pb};
}

}  // namespace

std::string_view route_name(Route route) {
  switch (route) {
    case Route::kAlert:
      return "alert";
    case Route::kReview:
      return "review";
    case Route::kRejected:
      return "rejected";
  }
  return "review";
}

std::optional<Route> parse_route(std::string_view name) {
  if (name == "alert") return Route::kAlert;
  if (name == "review") return Route::kReview;
  if (name == "rejected") return Route::kRejected;
  return std::nullopt;
}

RouteDecision decide_route(double rb, const RoutingThresholds& t) {
  if (std::isnan(rb)) return {Route::kReview, "real_bogus is not a number"};
  if (rb >= t.alert) {
    auto [s, th] = printed_pair(rb, t.alert);
    return {Route::kAlert, "real_bogus " + s + " >= alert_threshold " + th};
  }
  if (rb < t.archive) {
    auto [s, th] = printed_pair(rb, t.archive);
    return {Route::kRejected, "real_bogus " + s + " < archive_threshold " + th};
  }
  auto [s, lo] = printed_pair(rb, t.archive);
  auto [s2, hi] = printed_pair(rb, t.alert);
  if (s2.size() > s.size()) s = s2;
  return {Route::kReview,
          "real_bogus " + s + " >= archive_threshold " + lo + " and < alert_threshold " + hi};
}

void Router::set_thresholds(RoutingThresholds thresholds) {
  std::lock_guard lock(mutex_);
  thresholds_ = thresholds;
}

RoutingThresholds Router::thresholds() const {
  std::lock_guard lock(mutex_);
  return thresholds_;
}

}  // namespace blink
