// metrics_overhead: what blinkd's Prometheus metrics cost against the work
// they describe (issue 6's goal: under 1% of processing time). Times the
// updates blinkd makes for one science exposure (counters by route and class,
// a histogram per stage, latencies, noise, fakes, gauges) and one scrape of
// the whole registry as Prometheus pulls it, then states both as a share of
// the time to process an exposure, with a scrape every --scrape-interval.
//
//   build/bench/metrics_overhead [--exposure-seconds 2.85] [--scrape-interval 15]
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "classes.h"
#include "metrics.h"

using namespace blink;
using Clock = std::chrono::steady_clock;

namespace {

// The stages blinkd times for a science exposure (daemon/processor.cc and detectors/).
const std::vector<std::string> kStages = {
    "accept", "decode",   "background", "sources", "inject_fakes", "cosmics",
    "align",  "subtract", "detect",     "measure", "score",        "real_bogus",
    "classify", "cutouts", "store",     "publish"};

// What blinkd records when a science exposure is published.
void one_exposure(Metrics& m, int i) {
  m.exposure_received(ExposureKind::kScience);
  m.set_queue_depth(size_t(i % 3));
  m.set_memory_reserved(int64_t(i % 5) << 26, int64_t(2) << 30);
  m.exposure_processed(ExposureKind::kScience);
  m.candidates_routed(Route::kAlert, 8);
  m.candidates_routed(Route::kReview, 2);
  m.candidates_routed(Route::kRejected, 30);
  for (int k = 0; k < kNumClasses; ++k) m.candidates_classified(CandidateClass(k), k + 1);
  for (size_t s = 0; s < kStages.size(); ++s) m.stage_duration(kStages[s], 0.001 * double(s + i % 7));
  m.exposure_duration(2.8 + 0.01 * (i % 50));
  m.shutter_to_publish(60000.0, 30.0, 1.8e9);
  m.difference_noise_ratio(1.0 + 0.001 * (i % 40));
  m.fakes(5, 4);
}

template <typename F>
double seconds_per_call(int n, F&& f) {
  const auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) f(i);
  return std::chrono::duration<double>(Clock::now() - t0).count() / n;
}

}  // namespace

int main(int argc, char** argv) {
  double exposure_seconds = 2.85, scrape_interval = 15;
  int exposures = 200000, scrapes = 2000;
  CLI::App app{"metrics_overhead: the cost of blinkd's metrics against processing an exposure"};
  app.add_option("--exposure-seconds", exposure_seconds,
                 "time to process one exposure (bench/latency.sh's p50 at 4096²)")
      ->capture_default_str();
  app.add_option("--scrape-interval", scrape_interval, "seconds between Prometheus scrapes")
      ->capture_default_str();
  app.add_option("--exposures", exposures, "simulated exposures to time")->capture_default_str();
  app.add_option("--scrapes", scrapes, "scrapes to time")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  Metrics m("bench");
  std::printf("metrics_overhead: %d exposures' updates, %d scrapes\n", exposures, scrapes);
  const double update_s = seconds_per_call(exposures, [&](int i) { one_exposure(m, i); });
  prometheus::TextSerializer serializer;
  size_t bytes = 0;
  const double scrape_s = seconds_per_call(scrapes, [&](int) {
    bytes = serializer.Serialize(m.registry()->Collect()).size();
  });

  // Scrapes land while exposures are processed: their share of a core over
  // one exposure's time, on top of that exposure's own updates.
  const double scrape_share = scrape_s / scrape_interval;
  const double per_exposure = update_s + scrape_share * exposure_seconds;
  std::printf("updates for one science exposure   %8.2f us\n", update_s * 1e6);
  std::printf("one scrape (%zu bytes of text)   %8.2f us, every %g s: %.4f%% of a core\n", bytes,
              scrape_s * 1e6, scrape_interval, 100 * scrape_share);
  std::printf("metrics per exposure of %.2f s     %8.2f us = %.4f%% of its processing time (goal < 1%%)\n",
              exposure_seconds, per_exposure * 1e6, 100 * per_exposure / exposure_seconds);
  for (double small : {0.1, 0.01}) {
    const double p = update_s + scrape_share * small;
    std::printf("  at %.2f s per exposure (small images) %.4f%%\n", small, 100 * p / small);
  }
  return 0;
}
