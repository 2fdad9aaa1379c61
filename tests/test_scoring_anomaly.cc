// The isolation forest finds the odd one out, and its percentile reads like one.
#include <catch2/catch.hpp>

#include <random>

#include "anomaly.h"

using namespace blink;

TEST_CASE("anomaly: an outlier scores above every ordinary point") {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> n(0, 1);
  std::vector<std::vector<double>> rows;
  for (int i = 0; i < 2000; ++i) rows.push_back({n(rng), n(rng), n(rng), n(rng)});
  auto f = IsolationForest::fit(rows);
  REQUIRE(f);
  const std::vector<double> odd = {6, -6, 0, 0}, ordinary = {0.1, -0.2, 0.0, 0.3};
  CHECK(f->raw_score(odd) > 0.6);
  CHECK(f->raw_score(ordinary) < 0.5);
  CHECK(f->percentile(odd) > 0.998);
  CHECK(f->percentile(ordinary) < 0.5);
  // Deterministic for a seed.
  auto g = IsolationForest::fit(rows);
  CHECK(g->raw_score(odd) == f->raw_score(odd));
}

TEST_CASE("anomaly: missing values count as ordinary, bad input is refused") {
  std::vector<std::vector<double>> rows;
  for (int i = 0; i < 300; ++i) rows.push_back({double(i % 17), double(i % 5)});
  auto f = IsolationForest::fit(rows);
  REQUIRE(f);
  CHECK(f->percentile({NAN, NAN}) < 0.9);
  CHECK_FALSE(IsolationForest::fit({{1.0}}));
  CHECK_FALSE(IsolationForest::fit({{1.0, 2.0}, {1.0}}));
}

TEST_CASE("anomaly: features are finite and named") {
  Candidate c;
  c.snr = 12, c.mag = 21, c.fwhm_ratio = 1.1, c.sharpness = 1, c.real_bogus = 0.7;
  CandidateHistory h;
  h.non_detections.push_back({"e", "r", 1, 22.5});
  auto x = anomaly_features(c, h);
  REQUIRE(x.size() == anomaly_feature_names().size());
  for (double v : x) CHECK(std::isfinite(v));
  CHECK(x[12] == Approx(1.5));  // rise above the deepest earlier limit
}
