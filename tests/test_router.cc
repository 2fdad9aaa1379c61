// Routing by real/bogus score, at and around each threshold.
#include <catch2/catch.hpp>
#include <cmath>

#include "router.h"

using namespace blink;

TEST_CASE("router: at or above alert_threshold is an alert") {
  RoutingThresholds t{0.8, 0.2};
  CHECK(decide_route(0.8, t).route == Route::kAlert);
  CHECK(decide_route(1.0, t).route == Route::kAlert);
  CHECK(decide_route(0.93, t).reason == "real_bogus 0.93 >= alert_threshold 0.80");
}

TEST_CASE("router: below archive_threshold is rejected") {
  RoutingThresholds t{0.8, 0.2};
  CHECK(decide_route(0.0, t).route == Route::kRejected);
  CHECK(decide_route(0.1999, t).route == Route::kRejected);
  CHECK(decide_route(0.05, t).reason == "real_bogus 0.05 < archive_threshold 0.20");
}

TEST_CASE("router: between the thresholds goes to review, including archive_threshold itself") {
  RoutingThresholds t{0.8, 0.2};
  CHECK(decide_route(0.2, t).route == Route::kReview);
  CHECK(decide_route(0.5, t).route == Route::kReview);
  CHECK(decide_route(std::nextafter(0.8, 0.0), t).route == Route::kReview);
  CHECK(decide_route(0.5, t).reason ==
        "real_bogus 0.50 >= archive_threshold 0.20 and < alert_threshold 0.80");
}

TEST_CASE("router: reasons print enough digits to agree with the decision") {
  RoutingThresholds t{0.8, 0.2};
  RouteDecision d = decide_route(0.7999, t);
  CHECK(d.route == Route::kReview);
  CHECK_THAT(d.reason,
             Catch::Contains("real_bogus 0.7999") && Catch::Contains("alert_threshold 0.8000"));
  CHECK_THAT(decide_route(0.8001, t).reason,
             Catch::Contains("real_bogus 0.8001 >= alert_threshold 0.8000"));
}

TEST_CASE("router: a score that is not a number goes to review") {
  RouteDecision d = decide_route(std::nan(""), {0.8, 0.2});
  CHECK(d.route == Route::kReview);
  CHECK(d.reason == "real_bogus is not a number");
}

TEST_CASE("router: equal thresholds leave no review band") {
  RoutingThresholds t{0.5, 0.5};
  CHECK(decide_route(0.5, t).route == Route::kAlert);
  CHECK(decide_route(0.4999, t).route == Route::kRejected);
}

TEST_CASE("router: new thresholds apply to the next decision") {
  Router router(RoutingThresholds{0.8, 0.2});
  CHECK(router.route(0.7).route == Route::kReview);
  router.set_thresholds({0.6, 0.1});
  CHECK(router.route(0.7).route == Route::kAlert);
  CHECK(router.policy().defaults.archive == 0.1);
}

TEST_CASE("router: route names round-trip") {
  for (Route r : {Route::kAlert, Route::kReview, Route::kRejected})
    CHECK(parse_route(route_name(r)) == r);
  CHECK_FALSE(parse_route("archive"));
}

TEST_CASE("router: per field and band thresholds, the most specific wins") {
  auto overrides = parse_overrides("F0001/r=0.95/0.3, F0001/*=0.9/0.25, */g=0.7/0.1");
  REQUIRE(overrides);
  RoutingPolicy p;
  p.defaults = {0.8, 0.2};
  p.overrides = *overrides;
  CHECK(p.for_key("F0001", "r").alert == 0.95);
  CHECK(p.for_key("F0001", "g").alert == 0.9);   // field beats band
  CHECK(p.for_key("F0002", "g").alert == 0.7);
  CHECK(p.for_key("F0002", "i").alert == 0.8);   // defaults
  auto d = decide_route(0.92, 0.1, "F0001", "r", p);
  CHECK(d.route == Route::kReview);
  CHECK(d.reason.find("(thresholds for F0001/r)") != std::string::npos);
  CHECK(decide_route(0.92, 0.1, "F0002", "r", p).route == Route::kAlert);
}

TEST_CASE("router: an anomalous candidate goes to review even when confident") {
  RoutingPolicy p;
  p.defaults = {0.8, 0.2};
  p.anomaly_threshold = 0.99;
  auto d = decide_route(0.999, 0.995, "F", "r", p);
  CHECK(d.route == Route::kReview);
  CHECK(d.reason == "anomaly 0.995 >= anomaly_threshold 0.990");
  CHECK(decide_route(0.01, 0.999, "F", "r", p).route == Route::kReview);
  CHECK(decide_route(0.01, 0.5, "F", "r", p).route == Route::kRejected);
}

TEST_CASE("router: malformed overrides are refused with the rule named") {
  for (const char* bad : {"F0001=0.9/0.1", "F0001/r=0.9", "F0001/r=1.5/0.1", "F0001/r=0.1/0.9",
                          "F/r=0.9/0.1, F/r=0.8/0.1", "/r=0.9/0.1", "F/r=x/0.1"}) {
    auto r = parse_overrides(bad);
    CHECK_FALSE(r);
    if (!r) CHECK(r.status().message().find("rule \"") != std::string::npos);
  }
  CHECK(parse_overrides("")->empty());
  CHECK(parse_overrides("  ")->empty());
}
