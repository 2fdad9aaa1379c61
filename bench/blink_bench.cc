// blink-bench: runs the difference-imaging pipeline over a simulated night
// and prints what the pipeline is judged on: completeness on injected
// transients, false candidates by cause, residual noise and time per stage.
//
//   blink-bench --size 2048 --fields 2 --epochs 4 --seed 1 --svg completeness.svg
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>

#include "pipeline.h"
#include "survey.h"
#include "svg_chart.h"
#include "truth_match.h"

using namespace blink;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"blink-bench: injection-recovery and timing of the difference-imaging pipeline"};
  sim::SimConfig cfg;
  int size = 2048, threads = 2;
  double rb_threshold = 0.5;
  std::string svg_path, method = "auto";
  app.add_option("--seed", cfg.seed, "simulator seed");
  app.add_option("--fields", cfg.fields, "fields to simulate");
  app.add_option("--epochs", cfg.epochs, "science epochs per field");
  app.add_option("--size", size, "image side in pixels");
  app.add_option("--threads", threads, "threads per exposure");
  app.add_option("--rb-threshold", rb_threshold, "real/bogus score counted as 'kept'");
  app.add_option("--svg", svg_path, "write the completeness curve here");
  app.add_option("--method", method, "subtraction method")->check(CLI::IsMember({"alard-lupton", "zogy", "auto"}));
  CLI11_PARSE(app, argc, argv);
  cfg.width = cfg.height = size;

  PipelineOptions opt;
  opt.threads = threads;
  opt.method = method;
  DifferencePipeline pipeline(opt);
  // As the daemon does: learn each detector's defects from the stream.
  std::map<std::string, BadPixelModel> defects;
  sim::SurveySimulator survey(cfg);
  std::map<std::string, std::shared_ptr<const PreparedReference>> refs;

  std::vector<std::pair<sim::TruthRow, const Candidate*>> all_transients;
  std::vector<std::vector<Candidate>> keep_alive;  // transients point into these
  keep_alive.reserve(size_t(cfg.fields) * cfg.epochs * cfg.bands.size() * cfg.ccds + 8);
  std::map<std::string, int> false_by_cause;
  std::map<std::string, std::vector<double>> stage_seconds;
  std::vector<double> noise_ratios, totals;
  int science = 0, false_total = 0, false_kept = 0, real_changes = 0;
  const int total = survey.total_exposures();
  std::fprintf(stderr, "blink-bench: %d exposures of %dx%d, seed %llu, %d threads\n", total, size, size,
               (unsigned long long)cfg.seed, threads);
  sim::SimExposure exp;
  for (int n = 1; survey.next(exp); ++n) {
    auto bytes = sim::to_fits(exp);
    if (!bytes) {
      std::fprintf(stderr, "simulator failed: %s\n", bytes.status().message().c_str());
      return 1;
    }
    auto t0 = std::chrono::steady_clock::now();
    auto fits = decode_fits(bytes->data(), bytes->size());
    double decode_s = seconds_since(t0);
    if (!fits) {
      std::fprintf(stderr, "decode failed: %s\n", fits.status().message().c_str());
      return 1;
    }
    const std::string key = exp.field + "/" + exp.band + "/" + std::to_string(exp.ccd);
    if (exp.kind == "reference") {
      auto ref = pipeline.prepare_reference(*fits);
      if (!ref) {
        std::fprintf(stderr, "[%d/%d] %s: %s\n", n, total, exp.exposure_id.c_str(), ref.status().message().c_str());
        return 1;
      }
      refs[key] = *ref;
      std::fprintf(stderr, "[%d/%d] %s reference ready (%.2f s)\n", n, total, exp.exposure_id.c_str(), seconds_since(t0));
      continue;
    }
    auto& model = defects.try_emplace(key, fits->image.width, fits->image.height).first->second;
    Mask bad = model.mask();
    auto res = pipeline.process(*fits, *refs.at(key), &bad);
    if (res) model.observe(res->defects);
    double total_s = seconds_since(t0);
    if (!res) {
      std::fprintf(stderr, "[%d/%d] %s failed: %s\n", n, total, exp.exposure_id.c_str(), res.status().message().c_str());
      continue;
    }
    ++science;
    stage_seconds["decode"].push_back(decode_s);
    for (auto& [stage, s] : res->timings) stage_seconds[stage].push_back(s);
    totals.push_back(total_s);
    noise_ratios.push_back(res->noise_ratio);
    keep_alive.push_back(std::move(res->candidates));
    auto score = bench::score_exposure(keep_alive.back(), exp.truth);
    for (auto& t : score.transients) all_transients.push_back(t);
    for (auto& [cause, k] : score.false_by_cause) false_by_cause[cause] += k;
    false_total += score.false_total;
    real_changes += score.real_changes_found;
    int found = 0;
    for (auto& t : score.transients) found += t.second != nullptr;
    // False candidates the score would still keep: the cost that reaches people.
    for (const Candidate& c : keep_alive.back()) {
      bool matched = false;
      for (auto& t : exp.truth)
        if (bench::is_real_change(t.kind) && std::hypot(c.x - t.x, c.y - t.y) < 2.0) matched = true;
      if (!matched && c.real_bogus >= rb_threshold) ++false_kept;
    }
    std::fprintf(stderr, "[%d/%d] %s %s seeing %.2f/%.2f px: %zu candidates, %d/%zu transients, %d false, noise %.3f, %.2f s\n",
                 n, total, exp.exposure_id.c_str(), res->method.c_str(), res->science_fwhm, res->reference_fwhm,
                 keep_alive.back().size(), found, score.transients.size(), score.false_total, res->noise_ratio, total_s);
  }
  if (science == 0) {
    std::fprintf(stderr, "no science exposure was processed\n");
    return 1;
  }

  auto completeness = [&](double lo, double hi, int& n) {
    int found = 0;
    n = 0;
    for (auto& [t, c] : all_transients)
      if (t.expected_snr >= lo && t.expected_snr < hi) ++n, found += c != nullptr;
    return n ? 100.0 * found / n : 0.0;
  };
  int n10, n5, n3;
  double c10 = completeness(10, 1e30, n10), c5 = completeness(5, 10, n5), c3 = completeness(3, 5, n3);
  std::printf("\n== blink-bench: %d science exposures, %dx%d, seed %llu ==\n", science, size, size,
              (unsigned long long)cfg.seed);
  std::printf("completeness, injected transients  S/N>=10: %5.1f%% (%d)   5-10: %5.1f%% (%d)   3-5: %5.1f%% (%d)\n",
              c10, n10, c5, n5, c3, n3);
  std::printf("false candidates per exposure      before scoring: %.1f   real/bogus >= %.2f: %.1f\n",
              double(false_total) / science, rb_threshold, double(false_kept) / science);
  std::printf("  by cause:");
  for (auto& [cause, k] : false_by_cause) std::printf("  %s %.1f", cause.c_str(), double(k) / science);
  std::printf("\nvariable and moving objects found  %d\n", real_changes);
  std::printf("difference noise ratio (median)    %.3f\n", median(noise_ratios));
  std::printf("time per exposure, median over %d (ms):\n", science);
  double sum = 0;
  for (auto& [stage, v] : stage_seconds) {
    std::printf("  %-14s %8.1f\n", stage.c_str(), 1000 * median(v));
    sum += median(v);
  }
  std::printf("  %-14s %8.1f  (whole exposure, decode to scored candidates)\n", "total", 1000 * median(totals));

  if (!svg_path.empty()) {
    bench::Series s{"completeness", {}, {}};
    for (double m = 15.5; m < 24.5; m += 0.5) {
      int n = 0, f = 0;
      for (auto& [t, c] : all_transients)
        if (t.mag >= m && t.mag < m + 0.5) ++n, f += c != nullptr;
      if (n) s.x.push_back(m + 0.25), s.y.push_back(double(f) / n);
    }
    std::ofstream(svg_path) << bench::line_chart_svg("Completeness on injected transients", "magnitude",
                                                     "fraction recovered", {s}, 0, 1);
    std::printf("completeness curve written to %s\n", svg_path.c_str());
  }
  return 0;
}
