// The night report: its figures (latency percentiles against the budget,
// completeness on injected fakes and the 50% magnitude, candidates by route,
// rejections) and the page with its plots, served by ReportApi from the store.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "candidate_json.h"
#include "memory_sink.h"
#include "night_report.h"
#include "report_api.h"
#include "review_store.h"
#include "test_support.h"
#include "vote_report.h"

using namespace blink;
using Json = nlohmann::json;

namespace {

ExposureRow science(double received, double finished, double noise = 1.0) {
  ExposureRow e;
  e.envelope.kind = ExposureKind::kScience;
  e.state = ExposureState::kDone;
  e.received_unix = received;
  e.finished_unix = finished;
  e.noise_ratio = noise;
  e.method = "zogy";
  return e;
}

}  // namespace

TEST_CASE("night report: latency percentiles and the exposures over the 60 s budget") {
  NightData night;
  for (int i = 1; i <= 100; ++i) night.exposures.push_back(science(1000, 1000 + i));  // 1..100 s
  auto s = night_summary(night, vote_report({}));
  CHECK(s["latency_seconds"]["exposures"] == 100);
  CHECK(s["latency_seconds"]["p50"].get<double>() == Approx(50.5));
  CHECK(s["latency_seconds"]["p95"].get<double>() == Approx(95.05));
  CHECK(s["latency_seconds"]["over_budget"] == 40);
}

TEST_CASE("night report: completeness on fakes by magnitude and where it falls through 50%") {
  NightData night;
  // Bright fakes all found, faint ones never: 20.0-20.5 all, 20.5-21.0 none.
  for (int i = 0; i < 10; ++i) night.fakes.push_back({20.2, true, false});
  for (int i = 0; i < 10; ++i) night.fakes.push_back({20.7, false, false});
  auto s = night_summary(night, vote_report({}));
  CHECK(s["fakes"]["injected"] == 20);
  CHECK(s["fakes"]["recovered"] == 10);
  REQUIRE(s["fakes"]["completeness_by_mag"].size() == 2);
  CHECK(s["fakes"]["m50"].get<double>() == Approx(20.5));
}

TEST_CASE("night report: rejections by reason and candidates by route") {
  NightData night;
  ExposureRow bad = science(1000, 1001);
  bad.state = ExposureState::kRejected;
  bad.reject_reason = "bad_fits";
  night.exposures.push_back(bad);
  night.exposures.push_back(science(1000, 1002));
  night.candidates[int(Route::kAlert)] = 3;
  night.candidates[int(Route::kReview)] = 7;
  auto s = night_summary(night, vote_report({}));
  CHECK(s["exposures"]["rejected_by_reason"]["bad_fits"] == 1);
  CHECK(s["exposures"]["done"] == 1);
  CHECK(s["candidates"]["review"] == 7);
  std::string html = night_report_html("2026-11-23", night, s, vote_report_svg(s["votes"]));
  CHECK_THAT(html, Catch::Contains("<svg"));
  CHECK_THAT(html, Catch::Contains("bad_fits 1"));
  CHECK_THAT(html, Catch::Contains("60 s budget"));
}

TEST_CASE("night report: the night of a moment is the date of the last noon UTC") {
  CHECK(night_of(1795435200.0) == "2026-11-23");         // 2026-11-23 12:00 UTC
  CHECK(night_of(1795435200.0 - 1) == "2026-11-22");     // a second before
  CHECK(night_of(1795435200.0 + 86399) == "2026-11-23");  // 11:59:59 the next day
}

TEST_CASE("night report: served as a page and as JSON from the store") {
  blink::testing::TempDir tmp;
  const std::string db = (tmp.path() / "blink.db").string();
  auto store = SqliteStore::open(db);
  REQUIRE(store);
  auto reviews = ReviewStore::open(db);
  REQUIRE(reviews);
  blink::testing::MemorySink sink;
  const double now = 1795435200.0 + 3600;  // 13:00 UTC on 2026-11-23
  VolunteerService volunteers(**reviews, **store, sink, nullptr, {}, [&] { return now; });
  Envelope e{"n1", ExposureKind::kScience, "F", "r", 0, 61000.5, 30};
  REQUIRE((*store)->admit(e, now - 10));
  std::vector<RoutedCandidate> cands(2);
  for (int i = 0; i < 2; ++i) {
    cands[i].candidate_id = candidate_id("n1", i);
    cands[i].index = i;
    cands[i].route = i == 0 ? Route::kAlert : Route::kReview;
    cands[i].route_reason = "test";
    cands[i].classes.p = i == 0 ? std::array<double, kNumClasses>{0.8, 0.1, 0.05, 0.0, 0.05}
                                : std::array<double, kNumClasses>{0.1, 0.0, 0.7, 0.0, 0.2};
  }
  std::vector<FakeRow> fakes = {{0, 1, 1, 100, 20.1, false, "n1:0"}, {1, 5, 5, 10, 22.6, false, ""}};
  REQUIRE((*store)->finish_science("n1", {"zogy", 1.02, now - 4}, cands, fakes));
  ReportApi api(**store, volunteers, [&] { return now; });

  HttpRequest req;
  req.method = "GET";
  req.path = "/api/v1/reports/night";
  auto json = api.handle(req);
  REQUIRE(json);
  REQUIRE(json->code == 200);
  Json j = Json::parse(json->body);
  CHECK(j["night"] == "2026-11-23");
  CHECK(j["exposures"]["done"] == 1);
  CHECK(j["candidates"]["alert"] == 1);
  CHECK(j["candidates_by_class"]["supernova"] == 1);
  CHECK(j["candidates_by_class"]["moving"] == 1);
  CHECK(j["candidates_by_class"]["artefact"] == 0);
  CHECK(j["fakes"]["recovered"] == 1);
  CHECK(j["latency_seconds"]["p50"].get<double>() == Approx(6));

  req.path = "/reports/night";
  req.query = "night=2026-11-23";
  auto page = api.handle(req);
  REQUIRE(page);
  CHECK(page->code == 200);
  CHECK(page->content_type.rfind("text/html", 0) == 0);
  CHECK_THAT(page->body, Catch::Contains("Completeness on injected fakes"));

  req.query = "night=yesterday";
  CHECK(api.handle(req)->code == 400);
  req.path = "/reports/other";
  CHECK_FALSE(api.handle(req));
}
