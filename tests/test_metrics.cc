// Metrics: the series the contract names, bucket edges at the latency goals,
// bounded labels, totals, and the scrape endpoint.
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <regex>
#include <set>

#include "metrics.h"
#include "test_support.h"

using namespace blink;
using namespace blink::testing;

namespace {

std::string scrape(const Metrics& m) {
  prometheus::TextSerializer serializer;
  return serializer.Serialize(m.registry()->Collect());
}

}  // namespace

TEST_CASE("metrics: every contract series exists from the start") {
  Metrics m("9.9.9");
  const std::string text = scrape(m);
  for (const char* series :
       {"blink_exposures_received_total{kind=\"science\"} 0",
        "blink_exposures_received_total{kind=\"reference\"} 0",
        "blink_exposures_processed_total{kind=\"science\"} 0",
        "blink_exposures_rejected_total{reason=\"bad_fits\"} 0",
        "blink_exposures_rejected_total{reason=\"duplicate\"} 0",
        "blink_candidates_total{route=\"alert\"} 0", "blink_candidates_total{route=\"review\"} 0",
        "blink_candidates_total{route=\"rejected\"} 0",
        "blink_stage_duration_seconds_count{stage=\"decode\"} 0",
        "blink_exposure_duration_seconds_count 0", "blink_queue_depth 0", "blink_references 0",
        "blink_difference_noise_ratio 0", "blink_difference_noise_ratio_distribution_count 0",
        "blink_build_info{version=\"9.9.9\"} 1"}) {
    INFO(series);
    CHECK_THAT(text, Catch::Contains(series));
  }
  for (RejectReason r : kAllRejectReasons)
    CHECK_THAT(text, Catch::Contains("reason=\"" + std::string(reject_reason_label(r)) + "\""));
}

TEST_CASE("metrics: latency histograms have bucket edges at 1, 2, 5 and 60 seconds") {
  Metrics m("1");
  m.stage_duration("zogy", 1.5);
  m.exposure_duration(3);
  const std::string text = scrape(m);
  for (const char* le : {"le=\"1\"", "le=\"2\"", "le=\"5\"", "le=\"60\""}) {
    CHECK_THAT(text, Catch::Contains(
                         std::string("blink_stage_duration_seconds_bucket{stage=\"zogy\",") + le));
    CHECK_THAT(text, Catch::Contains(std::string("blink_exposure_duration_seconds_bucket{") + le));
  }
  CHECK_THAT(text,
             Catch::Contains("blink_stage_duration_seconds_bucket{stage=\"zogy\",le=\"1\"} 0"));
  CHECK_THAT(text,
             Catch::Contains("blink_stage_duration_seconds_bucket{stage=\"zogy\",le=\"2\"} 1"));
}

TEST_CASE("metrics: shutter-to-publish latency counts live exposures only") {
  Metrics m("1");
  const double now = 1.8e9;                          // 2027-01-15
  const double mjd_now = 40587.0 + now / 86400.0;
  m.shutter_to_publish(mjd_now - 42.0 / 86400.0, 30, now);   // ended 12 s ago
  m.shutter_to_publish(mjd_now - 400.0, 30, now);            // a replay of old data
  m.shutter_to_publish(mjd_now + 60.0 / 86400.0, 30, now);   // a clock ahead of ours
  const std::string text = scrape(m);
  CHECK_THAT(text, Catch::Contains("blink_shutter_to_publish_seconds_count 1"));
  CHECK_THAT(text, Catch::Contains("blink_shutter_to_publish_seconds_bucket{le=\"10\"} 0"));
  CHECK_THAT(text, Catch::Contains("blink_shutter_to_publish_seconds_bucket{le=\"20\"} 1"));
}

TEST_CASE("metrics: labels come from closed sets, never from ids") {
  Metrics m("1");
  m.exposure_received(ExposureKind::kScience);
  m.exposure_received(std::nullopt);
  m.exposure_rejected(RejectReason::kNoReference);
  m.candidates_routed(Route::kReview, 3);
  m.stage_duration("align", 0.2);
  const std::set<std::string> allowed = {"kind",    "reason",  "route", "stage", "version",
                                          "le",      "answer",  "subject", "verdict", "model",
                                          "class",   "surface"};
  std::regex label(R"re(([a-z_]+)=")re");
  const std::string text = scrape(m);
  for (auto it = std::sregex_iterator(text.begin(), text.end(), label);
       it != std::sregex_iterator(); ++it) {
    INFO((*it)[1].str());
    CHECK(allowed.count((*it)[1].str()) == 1);
  }
}

TEST_CASE("metrics: totals add up the labelled counters") {
  Metrics m("1");
  m.exposure_received(ExposureKind::kScience);
  m.exposure_received(ExposureKind::kReference);
  m.exposure_received(std::nullopt);
  m.exposure_processed(ExposureKind::kScience);
  m.exposure_rejected(RejectReason::kBadFits);
  m.exposure_rejected(RejectReason::kDuplicate);
  m.candidates_routed(Route::kAlert, 2);
  m.candidates_routed(Route::kRejected, 5);
  MetricsTotals t = m.totals();
  CHECK(t.received == 3);
  CHECK(t.processed == 1);
  CHECK(t.rejected == 2);
  CHECK(t.alert == 2);
  CHECK(t.review == 0);
  CHECK(t.rejected_candidates == 5);
}

TEST_CASE("metrics: the noise ratio gauge keeps the last finite value") {
  Metrics m("1");
  m.difference_noise_ratio(1.07);
  m.difference_noise_ratio(std::nan(""));
  CHECK_THAT(scrape(m), Catch::Contains("blink_difference_noise_ratio 1.07"));
}

TEST_CASE("metrics: the server answers scrapes on an ephemeral port") {
  Metrics m("1");
  auto server = MetricsServer::start("127.0.0.1:0", m);
  INFO(server.status().message());
  REQUIRE(server);
  REQUIRE((*server)->port() > 0);
  m.set_queue_depth(3);
  WireResponse r = http_get((*server)->port(), "/metrics");
  CHECK(r.status == 200);
  CHECK_THAT(r.body, Catch::Contains("blink_queue_depth 3"));
  // The process_* series of the client conventions, read at the scrape.
  for (const char* name : {"process_cpu_seconds_total ", "process_resident_memory_bytes ",
                           "process_virtual_memory_bytes ", "process_start_time_seconds ",
                           "process_open_fds ", "process_max_fds "}) {
    INFO(name);
    const size_t at = r.body.find(std::string("\n") + name);
    REQUIRE(at != std::string::npos);
    const double value = std::stod(r.body.substr(at + 1 + std::strlen(name)));
    CHECK(value >= 0);
    if (std::string(name) == "process_start_time_seconds ") CHECK(value > 1.6e9);  // after 2020
    if (std::string(name) == "process_resident_memory_bytes ") CHECK(value > 1e6);
  }
}

TEST_CASE("metrics: a taken port is a clear error, not an exception") {
  Metrics m("1");
  auto first = MetricsServer::start("127.0.0.1:0", m);
  REQUIRE(first);
  auto second = MetricsServer::start("127.0.0.1:" + std::to_string((*first)->port()), m);
  REQUIRE_FALSE(second);
  CHECK_THAT(second.status().message(), Catch::Contains("cannot serve metrics"));
}
