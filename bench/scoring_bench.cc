// scoring_bench: how long the steps after detection take for one exposure —
// real/bogus model, object association against a month of history, classes,
// anomaly features and the isolation forest — at a given number of
// detections. Synthetic candidates and history; the steps are blinkd's own.
//
//   build/bench/scoring_bench [--detections 1000] [--history 30000] [--model models/realbogus-default.json]
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <random>

#include "anomaly.h"
#include "association.h"
#include "classes.h"
#include "realbogus_model.h"

using namespace blink;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Time per exposure of real/bogus scoring, association, classes and anomaly score."};
  int detections = 1000, history = 30000, repeats = 5;
  std::string model_path = std::string(BLINK_SOURCE_DIR) + "/models/realbogus-default.json";
  app.add_option("--detections", detections, "Detections in the exposure")->check(CLI::Range(1, 1000000));
  app.add_option("--history", history, "Earlier detections of the field in the look-back")->check(CLI::Range(0, 10000000));
  app.add_option("--model", model_path, "Real/bogus model file (\"heuristic\" for none)");
  app.add_option("--repeats", repeats, "Exposures timed (the median is printed)")->check(CLI::Range(1, 1000));
  CLI11_PARSE(app, argc, argv);

  std::shared_ptr<const RealBogusModel> model;
  if (model_path != "heuristic") {
    auto m = RealBogusModel::load(model_path);
    if (!m) {
      std::fprintf(stderr, "scoring_bench: %s\n", m.status().message().c_str());
      return 1;
    }
    model = *m;
  }

  // A 2-degree field: history spread over 30 nights, candidates with typical measurements.
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> u(0, 1);
  auto position = [&](double& ra, double& dec) { ra = 150 + 2 * u(rng), dec = 2 + 2 * u(rng); };
  std::vector<PreviousDetection> recent(static_cast<size_t>(history));
  for (size_t i = 0; i < recent.size(); ++i) {
    PreviousDetection& p = recent[i];
    p.object_id = p.candidate_id = "old:" + std::to_string(i);
    p.exposure_id = "e" + std::to_string(i % 300);
    position(p.ra, p.dec);
    p.mjd = 60000 + 30 * u(rng), p.mag = 17 + 5 * u(rng), p.real_bogus = u(rng);
  }
  std::vector<ExposureCoverage> coverage;
  for (int i = 0; i < 300; ++i) coverage.push_back({"e" + std::to_string(i), "r", 60000 + 0.1 * i, 21.5});
  std::vector<Candidate> candidates(static_cast<size_t>(detections));
  for (Candidate& c : candidates) {
    position(c.ra, c.dec);
    c.snr = 5 + 50 * u(rng), c.mag = 17 + 5 * u(rng), c.fwhm = 3 + u(rng), c.fwhm_ratio = 0.7 + 0.6 * u(rng);
    c.elongation = 1 + u(rng), c.sharpness = 0.5 + 2 * u(rng), c.negative_fraction = 0.2 * u(rng);
    c.ref_distance = 50 * u(rng), c.ref_mag = 20, c.flux = 1000, c.flux_err = c.flux / c.snr;
  }
  // A forest fitted on a window of earlier candidates, as blinkd keeps one.
  std::vector<std::vector<double>> rows;
  for (size_t i = 0; i < 20000; ++i) rows.push_back(anomaly_features(candidates[i % candidates.size()], {}));
  auto t = Clock::now();
  auto forest = IsolationForest::fit(rows);
  const double fit_ms = ms_since(t);
  if (!forest) return 1;

  std::vector<double> rb_ms, assoc_ms, class_ms, anomaly_ms;
  for (int r = 0; r < repeats; ++r) {
    std::vector<Candidate> batch = candidates;
    t = Clock::now();
    score_real_bogus(model.get(), batch);
    rb_ms.push_back(ms_since(t));

    std::vector<NewDetection> news;
    for (size_t i = 0; i < batch.size(); ++i) news.push_back({"now:" + std::to_string(i), batch[i].ra, batch[i].dec, batch[i].mag});
    t = Clock::now();
    auto histories = associate(news, 60030.5, recent, coverage);
    assoc_ms.push_back(ms_since(t));

    t = Clock::now();
    double sink = 0;
    for (size_t i = 0; i < batch.size(); ++i) sink += classify(batch[i], histories[i]).p[0];
    class_ms.push_back(ms_since(t));

    t = Clock::now();
    for (size_t i = 0; i < batch.size(); ++i) sink += forest->percentile(anomaly_features(batch[i], histories[i]));
    anomaly_ms.push_back(ms_since(t));
    if (sink < 0) std::printf("%g", sink);  // keeps the work from being optimised away
    std::fprintf(stderr, "\rscoring_bench: exposure %d/%d", r + 1, repeats);
  }
  std::fprintf(stderr, "\n");
  auto median = [](std::vector<double> v) {
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    return v[v.size() / 2];
  };
  const double rb = median(rb_ms), as = median(assoc_ms), cl = median(class_ms), an = median(anomaly_ms);
  const double total = rb + as + cl + an;
  std::printf("scoring one exposure of %d detections against %d earlier detections (median of %d):\n",
              detections, history, repeats);
  std::printf("  real/bogus (%s)  %8.1f ms\n", model ? model->version().c_str() : "heuristic", rb);
  std::printf("  association        %8.1f ms\n", as);
  std::printf("  classes            %8.1f ms\n", cl);
  std::printf("  anomaly            %8.1f ms\n", an);
  std::printf("  total              %8.1f ms  (%.3f ms per candidate)\n", total, total / detections);
  std::printf("  (isolation forest fit on 20000 candidates: %.0f ms, once per refit)\n", fit_ms);
  return 0;
}
