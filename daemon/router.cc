#include "router.h"

#include <cctype>
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

const RoutingThresholds& RoutingPolicy::for_key(std::string_view field, std::string_view band) const {
  const RoutingThresholds* best = &defaults;
  int best_rank = 0;
  for (const ThresholdOverride& o : overrides) {
    const bool f = o.field == field, b = o.band == band;
    if ((o.field != "*" && !f) || (o.band != "*" && !b)) continue;
    const int rank = (f ? 2 : 0) + (b ? 1 : 0) + 1;  // field+band 4, field 3, band 2, */* 1
    if (rank > best_rank) best = &o.thresholds, best_rank = rank;
  }
  return *best;
}

RouteDecision decide_route(double rb, double anomaly, std::string_view field, std::string_view band,
                           const RoutingPolicy& policy) {
  if (policy.anomaly_threshold < 1.0 && anomaly >= policy.anomaly_threshold) {
    auto [a, th] = printed_pair(anomaly, policy.anomaly_threshold);
    return {Route::kReview, "anomaly " + a + " >= anomaly_threshold " + th, true};
  }
  const RoutingThresholds& t = policy.for_key(field, band);
  RouteDecision d = decide_route(rb, t);
  if (&t != &policy.defaults) d.reason += " (thresholds for " + std::string(field) + "/" + std::string(band) + ")";
  return d;
}

Result<std::vector<ThresholdOverride>> parse_overrides(std::string_view text) {
  std::vector<ThresholdOverride> out;
  auto trim = [](std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
  };
  auto number = [](std::string_view s, double& v) {
    std::string str(s);
    char* end = nullptr;
    v = std::strtod(str.c_str(), &end);
    return !str.empty() && end == str.c_str() + str.size() && v >= 0 && v <= 1;
  };
  while (!trim(text).empty()) {
    const size_t comma = text.find(',');
    std::string_view rule = trim(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    const std::string shown = "\"" + std::string(rule) + "\"";
    const size_t eq = rule.find('='), slash = rule.find('/');
    if (eq == std::string_view::npos || slash == std::string_view::npos || slash > eq)
      return Status::invalid("rule " + shown + " is not FIELD/BAND=ALERT/ARCHIVE");
    ThresholdOverride o;
    o.field = std::string(trim(rule.substr(0, slash)));
    o.band = std::string(trim(rule.substr(slash + 1, eq - slash - 1)));
    std::string_view values = rule.substr(eq + 1);
    const size_t vs = values.find('/');
    if (o.field.empty() || o.band.empty() || vs == std::string_view::npos)
      return Status::invalid("rule " + shown + " is not FIELD/BAND=ALERT/ARCHIVE");
    if (!number(trim(values.substr(0, vs)), o.thresholds.alert) ||
        !number(trim(values.substr(vs + 1)), o.thresholds.archive))
      return Status::invalid("rule " + shown + ": thresholds must be numbers in [0, 1]");
    if (o.thresholds.alert < o.thresholds.archive)
      return Status::invalid("rule " + shown + ": the alert threshold must be >= the archive threshold");
    for (const ThresholdOverride& p : out)
      if (p.field == o.field && p.band == o.band)
        return Status::invalid("rule " + shown + " repeats " + o.field + "/" + o.band);
    out.push_back(std::move(o));
  }
  return out;
}

void Router::set_policy(RoutingPolicy policy) {
  std::lock_guard lock(mutex_);
  policy_ = std::move(policy);
}

void Router::set_thresholds(RoutingThresholds thresholds) {
  std::lock_guard lock(mutex_);
  policy_.defaults = thresholds;
}

RoutingPolicy Router::policy() const {
  std::lock_guard lock(mutex_);
  return policy_;
}

}  // namespace blink
