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
  Router router({0.8, 0.2});
  CHECK(router.route(0.7).route == Route::kReview);
  router.set_thresholds({0.6, 0.1});
  CHECK(router.route(0.7).route == Route::kAlert);
  CHECK(router.thresholds().archive == 0.1);
}

TEST_CASE("router: route names round-trip") {
  for (Route r : {Route::kAlert, Route::kReview, Route::kRejected})
    CHECK(parse_route(route_name(r)) == r);
  CHECK_FALSE(parse_route("archive"));
}
