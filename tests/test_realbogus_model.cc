// The trained real/bogus model: features, training and calibration, the
// model file, the shipped default model on simulated candidates, and
// blinkd swapping models on reload.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <fstream>
#include <map>
#include <numeric>
#include <random>

#include "calibration.h"
#include "daemon_fixture.h"
#include "pipeline.h"
#include "realbogus.h"
#include "realbogus_features.h"
#include "realbogus_model.h"
#include "realbogus_training.h"
#include "survey.h"
#include "test_support.h"
#include "truth_match.h"

using namespace blink;
using namespace std::chrono_literals;

namespace {

// A candidate as the pipeline measures a point source (real) or one of
// three artefacts (bogus): cosmic ray, dipole, masked edge.
Candidate synthetic(bool real, std::mt19937& rng) {
  std::normal_distribution<double> n(0, 1);
  std::uniform_real_distribution<double> u(0, 1);
  Candidate c;
  c.snr = 6 + 30 * u(rng);
  c.mag = 22 - 2.5 * std::log10(c.snr / 6);
  c.mag_err = 1.0857 / c.snr;
  c.fwhm = 3 * (1 + 0.08 * n(rng));
  c.fwhm_ratio = 1 + 0.08 * n(rng);
  c.elongation = 1.05 + 0.1 * u(rng);
  c.sharpness = 1 + 0.15 * n(rng);
  c.negative_fraction = 0.03 * u(rng);
  c.npix = 8 + int(20 * u(rng));
  c.ref_distance = 5 + 200 * u(rng);
  c.ref_mag = 19 + 3 * u(rng);
  if (u(rng) < 0.5) {
    c.host_radius = 3 + 5 * u(rng);
    c.host_offset = c.host_radius * u(rng);
    c.host_x = c.host_y = 100;
    c.host_mag = 18 + 3 * u(rng);
  }
  if (real) return c;
  switch (int(u(rng) * 3)) {
    case 0:  // cosmic ray: sharp and small
      c.sharpness = 3 + 3 * u(rng), c.fwhm_ratio = 0.4 + 0.2 * u(rng), c.npix = 3 + int(3 * u(rng));
      break;
    case 1:  // dipole beside a star
      c.negative_fraction = 0.3 + 0.5 * u(rng), c.ref_distance = u(rng), c.ref_point_source = true;
      break;
    default:  // on masked pixels, elongated
      c.on_mask = true, c.elongation = 1.6 + u(rng);
  }
  return c;
}

std::vector<LabelledCandidate> synthetic_set(int exposures, int per_exposure, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<LabelledCandidate> out;
  for (int e = 0; e < exposures; ++e)
    for (int i = 0; i < per_exposure; ++i) {
      const bool real = i % 3 == 0;
      out.push_back({synthetic(real, rng), real, "exp" + std::to_string(e), "synthetic"});
    }
  return out;
}

// A small model trained once for the cases below (about a second). Never
// destroyed: at exit, libxgboost's own statics may be gone before ours.
const TrainingOutcome& tiny_model() {
  static const TrainingOutcome* outcome = new TrainingOutcome([] {
    TrainingOptions o;
    o.max_rounds = 60;
    o.threads = 1;
    o.date = "20260101";
    auto r = train_real_bogus(synthetic_set(30, 40, 7), o);
    REQUIRE(r);
    return *r;
  }());
  return *outcome;
}

std::string default_model_path() { return std::string(BLINK_SOURCE_DIR) + "/models/realbogus-default.json"; }

}  // namespace

TEST_CASE("realbogus: training, calibration and test each get bogus labels when only three exposures hold any",
          "[realbogus]") {
  // Twenty exposures of real labels, three of which also hold artefacts: a
  // seeded split by exposure would often leave the test set without one.
  std::mt19937 rng(5);
  std::vector<LabelledCandidate> set;
  for (int e = 0; e < 20; ++e)
    for (int i = 0; i < 12; ++i) {
      const bool real = e >= 3 || i % 2 == 0;
      set.push_back({synthetic(real, rng), real, "exp" + std::to_string(e), "synthetic"});
    }
  for (uint64_t seed : {1, 2, 3, 4}) {
    TrainingOptions o;
    o.max_rounds = 10, o.threads = 1, o.seed = seed, o.date = "20260101";
    auto r = train_real_bogus(set, o);
    INFO("seed " << seed << ": " << (r ? "" : r.status().message()));
    REQUIRE(r);
    const auto& split = r->model->training()["split"];
    for (const char* k : {"training", "calibration", "test"}) CHECK(split[k]["bogus"].get<int>() > 0);
  }
}

TEST_CASE("realbogus: features are named and finite for typical candidates", "[realbogus]") {
  std::mt19937 rng(1);
  const size_t n = real_bogus_feature_names().size();
  for (bool real : {true, false})
    for (int i = 0; i < 50; ++i) {
      auto f = real_bogus_features(synthetic(real, rng));
      REQUIRE(f.size() == n);
      for (size_t k = 0; k < n; ++k) {
        INFO(real_bogus_feature_names()[k]);
        CHECK(std::isfinite(f[k]));
      }
    }
  // A default-constructed candidate (no reference source, no host) too.
  for (float v : real_bogus_features(Candidate{})) CHECK(std::isfinite(v));
}

TEST_CASE("realbogus: a model trained on a small synthetic set separates the classes", "[realbogus]") {
  const TrainingOutcome& t = tiny_model();
  CHECK(t.held_out.model_metrics.n > 100);
  CHECK(t.held_out.model_metrics.auc > 0.95);
  CHECK(t.model->version().rfind("rb-20260101-", 0) == 0);
  // Fresh candidates, not seen in training.
  auto fresh = synthetic_set(4, 60, 99);
  std::vector<Candidate> cands;
  std::vector<int> labels;
  for (const auto& l : fresh) cands.push_back(l.candidate), labels.push_back(l.real);
  auto p = t.model->score(cands);
  REQUIRE(p);
  double mean[2] = {0, 0};
  int count[2] = {0, 0};
  for (size_t i = 0; i < p->size(); ++i) {
    CHECK((*p)[i] >= 0.0);
    CHECK((*p)[i] <= 1.0);
    mean[labels[i]] += (*p)[i], count[labels[i]] += 1;
  }
  CHECK(mean[1] / count[1] > 0.8);
  CHECK(mean[0] / count[0] < 0.2);
}

TEST_CASE("realbogus: calibrated probabilities are monotone in the trees' raw score", "[realbogus]") {
  const TrainingOutcome& t = tiny_model();
  auto fresh = synthetic_set(4, 60, 5);
  std::vector<Candidate> cands;
  for (const auto& l : fresh) cands.push_back(l.candidate);
  auto raw = t.model->raw_scores(cands);
  auto cal = t.model->score(cands);
  REQUIRE(raw);
  REQUIRE(cal);
  std::vector<size_t> order(raw->size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return (*raw)[a] < (*raw)[b]; });
  for (size_t i = 1; i < order.size(); ++i) CHECK((*cal)[order[i]] >= (*cal)[order[i - 1]]);
  // And the calibration itself, on a grid of raw scores.
  double prev = -1;
  for (double x = 0; x <= 1.0; x += 0.01) {
    const double y = t.model->calibration().apply(x);
    CHECK(y >= prev);
    CHECK(y >= 0.0);
    CHECK(y <= 1.0);
    prev = y;
  }
}

TEST_CASE("realbogus: isotonic calibration pools violators and keeps within bounds", "[realbogus]") {
  // Raw 0.1..0.4 bogus, one real at 0.2 (a violator), 0.5..0.9 real.
  auto c = fit_isotonic({0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9}, {0, 1, 0, 0, 1, 1, 1, 1, 1});
  REQUIRE(c);
  CHECK(c->problem().empty());
  // Blocks: {0.1} none real; {0.2, 0.3, 0.4} pooled, 1 real of 3; {0.5..0.9} all real.
  CHECK(c->apply(0.0) == Approx(kMinCalibrated));
  CHECK(c->apply(0.3) == Approx(1.0 / 3));
  CHECK(c->apply(0.15) == Approx((kMinCalibrated + 1.0 / 3) / 2));  // linear between blocks
  CHECK(c->apply(0.95) == Approx(kMaxCalibrated));
  CHECK_FALSE(fit_isotonic({0.1, 0.2}, {0, 0}));
}

TEST_CASE("realbogus: save and load give the same version and identical scores", "[realbogus]") {
  const TrainingOutcome& t = tiny_model();
  testing::TempDir dir;
  const std::string path = (dir.path() / "model.json").string();
  REQUIRE(t.model->save(path));
  auto loaded = RealBogusModel::load(path);
  REQUIRE(loaded);
  CHECK((*loaded)->version() == t.model->version());
  CHECK((*loaded)->training()["held_out"]["model"]["auc"].get<double>() ==
        Approx(t.held_out.model_metrics.auc));
  auto fresh = synthetic_set(3, 50, 11);
  std::vector<Candidate> cands;
  for (const auto& l : fresh) cands.push_back(l.candidate);
  auto a = t.model->score(cands), b = (*loaded)->score(cands);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(*a == *b);
  // Saving the loaded model writes the same bytes.
  CHECK((*loaded)->to_json() == t.model->to_json());
}

TEST_CASE("realbogus: a corrupt or foreign model file is refused with the file and the problem named",
          "[realbogus]") {
  testing::TempDir dir;
  const std::string good = tiny_model().model->to_json();
  auto refused = [&](const std::string& text) {
    const std::string path = (dir.path() / "bad.json").string();
    std::ofstream(path) << text;
    auto m = RealBogusModel::load(path);
    REQUIRE_FALSE(m);
    CHECK_THAT(m.status().message(), Catch::Contains(path));
    return m.status().message();
  };
  CHECK_THAT(refused(good.substr(0, good.size() / 2)), Catch::Contains("not valid JSON"));
  CHECK_THAT(refused("{\"format\": \"something/else\"}"), Catch::Contains("unsupported model format"));
  CHECK_THAT(refused("[1, 2, 3]"), Catch::Contains("no \"format\""));
  auto j = nlohmann::json::parse(good);
  j["features"][0] = "not_a_feature";
  CHECK_THAT(refused(j.dump()), Catch::Contains("features that differ"));
  j = nlohmann::json::parse(good);
  j["booster"]["learner"] = "garbage";
  CHECK_THAT(refused(j.dump()), Catch::Contains("loading the booster"));
  j = nlohmann::json::parse(good);
  j["calibration"]["y"] = {0.9, 0.1};
  j["calibration"]["x"] = {0.1, 0.2};
  CHECK_THAT(refused(j.dump()), Catch::Contains("calibration"));
  auto missing = RealBogusModel::load((dir.path() / "nope.json").string());
  REQUIRE_FALSE(missing);
  CHECK_THAT(missing.status().message(), Catch::Contains("nope.json"));
}

TEST_CASE("realbogus: without a model, or when it cannot score, the heuristic scores and is stamped",
          "[realbogus]") {
  std::mt19937 rng(3);
  std::vector<Candidate> cands = {synthetic(true, rng), synthetic(false, rng)};
  CHECK(score_real_bogus(nullptr, cands) == kHeuristicRealBogusVersion);
  CHECK(cands[0].real_bogus == heuristic_real_bogus(cands[0]));
  CHECK(score_real_bogus(tiny_model().model.get(), cands) == tiny_model().model->version());
  CHECK(cands[0].real_bogus > cands[1].real_bogus);
}

TEST_CASE("realbogus: the shipped model scores simulated transients above the artefacts detected", "[realbogus]") {
  auto model = RealBogusModel::load(default_model_path());
  REQUIRE(model);
  CHECK((*model)->version().rfind("rb-", 0) == 0);
  sim::SimConfig cfg;
  cfg.seed = 101, cfg.fields = 1, cfg.epochs = 6, cfg.width = cfg.height = 1024;
  sim::SurveySimulator survey(cfg);
  PipelineOptions po;
  DifferencePipeline pipeline(po);
  std::shared_ptr<const PreparedReference> ref;
  std::map<std::string, std::vector<double>> by_kind;
  sim::SimExposure e;
  while (survey.next(e)) {
    auto bytes = sim::to_fits(e);
    REQUIRE(bytes);
    auto fits = decode_fits(bytes->data(), bytes->size());
    REQUIRE(fits);
    if (e.kind == "reference") {
      auto r = pipeline.prepare_reference(*fits);
      REQUIRE(r);
      ref = *r;
      continue;
    }
    auto res = pipeline.process(*fits, *ref);
    REQUIRE(res);
    auto cands = res->candidates;
    REQUIRE(score_real_bogus(model->get(), cands) == (*model)->version());
    auto kinds = bench::candidate_truth_kinds(cands, e.truth);
    // Most cosmic rays no longer reach detection; the artefacts that do
    // (residuals of stars, edges, the odd hit) are what the model must score low.
    for (size_t i = 0; i < cands.size(); ++i) {
      const std::string k = bench::is_transient(kinds[i])       ? "transient"
                            : bench::is_real_change(kinds[i]) ? kinds[i]
                                                              : "artefact";
      by_kind[k].push_back(cands[i].real_bogus);
    }
  }
  auto mean = [](const std::vector<double>& v) {
    return std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
  };
  REQUIRE(by_kind["transient"].size() >= 3);
  REQUIRE(by_kind["artefact"].size() >= 3);
  // The share of (transient, artefact) pairs the score puts in the right
  // order: the area under the ROC curve.
  double ordered = 0;
  for (double t : by_kind["transient"])
    for (double a : by_kind["artefact"]) ordered += t > a ? 1.0 : t == a ? 0.5 : 0.0;
  const double auc = ordered / double(by_kind["transient"].size() * by_kind["artefact"].size());
  INFO("transients " << by_kind["transient"].size() << " mean " << mean(by_kind["transient"]) << ", artefacts "
                     << by_kind["artefact"].size() << " mean " << mean(by_kind["artefact"]) << ", AUC " << auc);
  CHECK(mean(by_kind["transient"]) > 0.7);
  CHECK(mean(by_kind["artefact"]) < 0.3);
  CHECK(auc > 0.9);
}

TEST_CASE("realbogus: blinkd loads the configured model and a reload swaps it", "[realbogus]") {
  testing::TempDir models;
  const std::string a = (models.path() / "a.json").string();
  REQUIRE(tiny_model().model->save(a));
  // A second model: same data, another split, so another version.
  TrainingOptions o;
  o.max_rounds = 20, o.threads = 1, o.seed = 2, o.date = "20260202";
  auto second = train_real_bogus(synthetic_set(30, 40, 8), o);
  REQUIRE(second);
  const std::string b = (models.path() / "b.json").string();
  REQUIRE(second->model->save(b));
  const std::string va = tiny_model().model->version(), vb = second->model->version();
  REQUIRE(va != vb);

  testing::DaemonFixture d;
  d.write_config("[scoring]\nmodel = \"" + a + "\"\n");
  REQUIRE(d.start());
  INFO(d.log());
  auto info_line = [&](const std::string& version) {
    return "blink_model_info{model=\"real_bogus\",version=\"" + version + "\"} 1";
  };
  CHECK_THAT(d.metrics(), Catch::Contains(info_line(va)));
  CHECK_THAT(d.log(), Catch::Contains("real/bogus: loaded model=" + va));

  auto reload_to = [&](const std::string& setting, int nth) {
    d.write_config("[scoring]\nmodel = \"" + setting + "\"\n");
    d.daemon().signal(SIGHUP);
    for (int i = 0; i < 200; ++i) {
      std::string log = d.log();
      size_t count = 0;
      for (size_t at = 0; (at = log.find("reload applied", at)) != std::string::npos; ++at) ++count;
      if (int(count) >= nth) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  };
  REQUIRE(reload_to(b, 1));
  std::string m = d.metrics();
  CHECK_THAT(m, Catch::Contains(info_line(vb)));
  CHECK_THAT(m, !Catch::Contains(info_line(va)));

  // A broken file: the heuristic takes over, and the log says why.
  const std::string broken = (models.path() / "broken.json").string();
  std::ofstream(broken) << "{ not json";
  REQUIRE(reload_to(broken, 2));
  CHECK_THAT(d.metrics(), Catch::Contains(info_line(kHeuristicRealBogusVersion)));
  CHECK_THAT(d.log(), Catch::Contains("cannot load the model, falling back"));
  CHECK_THAT(d.log(), Catch::Contains(broken));
  d.daemon().signal(SIGTERM);
  CHECK(d.daemon().wait(30s) == 0);
}

TEST_CASE("realbogus: blink-train learns from a daemon's database", "[realbogus]") {
  // A night through a real blinkd: its fakes, training subjects and archived artefacts are labels.
  testing::DaemonFixture d;
  d.write_config();
  REQUIRE(d.start());
  INFO(d.log());
  // Long enough that the held-out exposures hold artefacts: most cosmic rays never become candidates.
  REQUIRE(d.simulate(43, 24, 512) == 0);
  REQUIRE(d.wait_processed(25, std::chrono::seconds(180)));
  d.daemon().signal(SIGTERM);
  REQUIRE(d.daemon().wait(30s) == 0);

  const auto db = d.dir() / "state" / "blink.db";
  const auto model = d.dir() / "model.json";
  const auto out = d.dir() / "train.log";
  const int rc = testing::run_command({testing::DaemonFixture::bin() + "/tools/blink-train", "--db",
                                       db.string(), "--out", model.string(), "--date", "20260303"},
                                      out, 120s);
  const std::string log = testing::read_text(out);
  INFO(log);
  REQUIRE(rc == 0);
  CHECK_THAT(log, Catch::Contains("held-out (test) set"));
  CHECK_THAT(log, Catch::Contains("heuristic-logistic-1"));
  auto m = RealBogusModel::load(model.string());
  REQUIRE(m);
  CHECK((*m)->version().rfind("rb-20260303-", 0) == 0);
  const auto& by_source = (*m)->training()["labels_by_source"];
  CHECK(by_source.value("db_fake:real", 0) > 0);
  CHECK(by_source.value("db_training_truth:bogus", 0) + by_source.value("db_artefact:bogus", 0) > 0);
}
