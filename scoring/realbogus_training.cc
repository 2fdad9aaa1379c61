#include "realbogus_training.h"

#include <xgboost/c_api.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <limits>
#include <set>
#include <utility>

#include "calibration.h"
#include "realbogus.h"

namespace blink {
namespace {

Status xgb_status(int rc, const std::string& doing) {
  if (rc == 0) return Status::ok();
  return Status::internal(doing + ": XGBoost: " + XGBGetLastError());
}

// Owns an XGBoost handle (movable, not copyable).
struct Matrix {
  DMatrixHandle h = nullptr;
  Matrix() = default;
  Matrix(Matrix&& o) noexcept : h(std::exchange(o.h, nullptr)) {}
  Matrix& operator=(Matrix&&) = delete;
  ~Matrix() {
    if (h) XGDMatrixFree(h);
  }
};
struct Booster {
  BoosterHandle h = nullptr;
  ~Booster() {
    if (h) XGBoosterFree(h);
  }
};

uint64_t mix(const std::string& s, uint64_t seed) {
  uint64_t h = 1469598103934665603ULL ^ (seed * 0x9E3779B97F4A7C15ULL);
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

std::string today_utc() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y%m%d", &tm);
  return buf;
}

struct Split {
  std::vector<const LabelledCandidate*> rows;
  std::vector<Candidate> candidates;
  std::vector<int> real;
  int exposures = 0;
  int n_real() const { return int(std::count(real.begin(), real.end(), 1)); }
};

Result<Matrix> matrix_of(const Split& s, bool with_labels) {
  const size_t cols = real_bogus_feature_names().size();
  std::vector<float> rows;
  rows.reserve(s.candidates.size() * cols);
  for (const Candidate& c : s.candidates) append_real_bogus_features(c, rows);
  Matrix m;
  if (Status st = xgb_status(XGDMatrixCreateFromMat(rows.data(), bst_ulong(s.candidates.size()),
                                                    bst_ulong(cols),
                                                    std::numeric_limits<float>::quiet_NaN(), &m.h),
                             "building a feature matrix");
      !st)
    return st;
  if (with_labels) {
    std::vector<float> labels(s.real.begin(), s.real.end());
    if (Status st = xgb_status(
            XGDMatrixSetFloatInfo(m.h, "label", labels.data(), bst_ulong(labels.size())),
            "setting labels");
        !st)
      return st;
  }
  return m;
}

// "[12]\ttrain-logloss:0.1\tcal-logloss:0.2" -> the cal figure.
double eval_figure(const std::string& text, const std::string& name) {
  const auto at = text.find(name + ":");
  if (at == std::string::npos) return std::numeric_limits<double>::quiet_NaN();
  return std::strtod(text.c_str() + at + name.size() + 1, nullptr);
}

nlohmann::ordered_json counts_json(const Split& s) {
  return {{"exposures", s.exposures},
          {"candidates", s.candidates.size()},
          {"real", s.n_real()},
          {"bogus", int(s.candidates.size()) - s.n_real()}};
}

nlohmann::ordered_json metrics_json(const BinaryMetrics& m) {
  return {{"auc", m.auc},
          {"brier", m.brier},
          {"log_loss", m.log_loss},
          {"threshold", m.threshold},
          {"selected", m.selected},
          {"purity", m.purity},
          {"completeness", m.completeness}};
}

void say(const TrainingOptions& o, const std::string& line) {
  if (o.progress) o.progress(line);
}

}  // namespace

Result<TrainingOutcome> train_real_bogus(const std::vector<LabelledCandidate>& examples,
                                         const TrainingOptions& o) {
  // Split by exposure, in an order fixed by the seed.
  std::set<std::string> group_set;
  for (const auto& e : examples) group_set.insert(e.group);
  std::vector<std::string> groups(group_set.begin(), group_set.end());
  if (groups.size() < 3)
    return Status::invalid("training needs candidates from at least 3 exposures (train, "
                           "calibration, test), got " + std::to_string(groups.size()));
  std::sort(groups.begin(), groups.end(), [&](const std::string& a, const std::string& b) {
    return mix(a, o.seed) < mix(b, o.seed);
  });
  const int n = int(groups.size());
  const int n_test = std::clamp(int(std::lround(n * o.test_fraction)), 1, n - 2);
  const int n_cal = std::clamp(int(std::lround(n * o.calibration_fraction)), 1, n - 1 - n_test);
  std::map<std::string, int> which;  // 0 train, 1 calibration, 2 test
  // Every set needs both classes. Where labels of a class come from only a
  // few exposures (artefacts are rare once most are rejected before
  // scoring), deal one such exposure to each set before the rest.
  std::map<std::string, std::pair<bool, bool>> has;  // (real, bogus) per exposure
  for (const auto& e : examples) (e.real ? has[e.group].first : has[e.group].second) = true;
  int count[3] = {0, 0, 0};
  auto deal_one_each = [&](bool want_real) {
    std::vector<const std::string*> holding;
    for (const auto& g : groups)
      if ((want_real ? has[g].first : has[g].second) && !which.count(g)) holding.push_back(&g);
    if (holding.size() < 3) return;
    for (int k = 0; k < 3; ++k) which[*holding[size_t(k)]] = 2 - k, ++count[2 - k];
  };
  deal_one_each(false);
  deal_one_each(true);
  for (const auto& g : groups) {
    if (which.count(g)) continue;
    const int k = count[2] < n_test ? 2 : count[1] < n_cal ? 1 : 0;
    which[g] = k, ++count[k];
  }
  Split split[3];
  for (int i = 0; i < n; ++i) split[which[groups[size_t(i)]]].exposures += 1;
  for (const auto& e : examples) {
    Split& s = split[which[e.group]];
    s.rows.push_back(&e);
    s.candidates.push_back(e.candidate);
    s.real.push_back(e.real ? 1 : 0);
  }
  const char* names[3] = {"training", "calibration", "test"};
  for (int k = 0; k < 3; ++k) {
    const Split& s = split[k];
    char line[160];
    std::snprintf(line, sizeof line, "%-11s %4d exposures, %6zu candidates: %5d real, %6d bogus",
                  names[k], s.exposures, s.candidates.size(), s.n_real(),
                  int(s.candidates.size()) - s.n_real());
    say(o, line);
    if (s.n_real() == 0 || s.n_real() == int(s.candidates.size()))
      return Status::invalid(std::string("the ") + names[k] +
                             " set has no " + (s.n_real() == 0 ? "real" : "bogus") +
                             " candidates: label more exposures");
  }

  auto train_m = matrix_of(split[0], true);
  if (!train_m) return train_m.status();
  auto cal_m = matrix_of(split[1], true);
  if (!cal_m) return cal_m.status();
  Booster booster;
  DMatrixHandle train_only[] = {train_m->h};
  if (Status s = xgb_status(XGBoosterCreate(train_only, 1, &booster.h), "creating a booster"); !s)
    return s;
  const std::vector<std::pair<std::string, std::string>> params = {
      {"objective", "binary:logistic"},
      {"eval_metric", "logloss"},
      {"tree_method", "hist"},
      {"max_depth", std::to_string(o.max_depth)},
      {"eta", std::to_string(o.eta)},
      {"min_child_weight", std::to_string(o.min_child_weight)},
      {"subsample", std::to_string(o.subsample)},
      {"colsample_bytree", std::to_string(o.colsample_bytree)},
      {"nthread", std::to_string(o.threads)},
      {"seed", std::to_string(o.seed % 2147483647)},
      {"verbosity", "0"},
  };
  for (const auto& [k, v] : params)
    if (Status s = xgb_status(XGBoosterSetParam(booster.h, k.c_str(), v.c_str()), "setting " + k); !s)
      return s;

  DMatrixHandle evals[] = {train_m->h, cal_m->h};
  const char* eval_names[] = {"train", "cal"};
  double best = std::numeric_limits<double>::infinity();
  int best_round = 0;
  for (int round = 0; round < o.max_rounds; ++round) {
    if (Status s = xgb_status(XGBoosterUpdateOneIter(booster.h, round, train_m->h), "boosting"); !s)
      return s;
    const char* text = nullptr;
    if (Status s = xgb_status(XGBoosterEvalOneIter(booster.h, round, evals, eval_names, 2, &text),
                              "evaluating");
        !s)
      return s;
    const double cal_loss = eval_figure(text, "cal-logloss");
    if (cal_loss < best - 1e-6) best = cal_loss, best_round = round;
    if (round % 25 == 0 || round == o.max_rounds - 1) {
      char line[160];
      std::snprintf(line, sizeof line, "round %4d: train log-loss %.4f, calibration log-loss %.4f",
                    round, eval_figure(text, "train-logloss"), cal_loss);
      say(o, line);
    }
    if (round - best_round >= o.early_stopping_rounds) {
      say(o, "stopping early: calibration log-loss has not improved since round " +
                 std::to_string(best_round));
      break;
    }
  }
  Booster kept;
  if (Status s = xgb_status(XGBoosterSlice(booster.h, 0, best_round + 1, 1, &kept.h),
                            "keeping the best rounds");
      !s)
    return s;
  bst_ulong len = 0;
  const char* buf = nullptr;
  if (Status s = xgb_status(
          XGBoosterSaveModelToBuffer(kept.h, R"({"format": "json"})", &len, &buf), "saving");
      !s)
    return s;
  const std::string booster_json(buf, len);

  // Calibrate on the calibration set with the trees as they will be saved.
  auto uncalibrated = RealBogusModel::assemble(booster_json, Calibration{}, {}, "00000000");
  if (!uncalibrated) return uncalibrated.status();
  auto cal_raw = (*uncalibrated)->raw_scores(split[1].candidates);
  if (!cal_raw) return cal_raw.status();
  auto calibration = fit_isotonic(*cal_raw, split[1].real);
  if (!calibration) return calibration.status().with_context("calibrating");
  say(o, "calibration: isotonic, " + std::to_string(calibration->x.size()) + " knots");

  // Figures on the test set, beside the heuristic on the very same candidates.
  auto test_raw = (*uncalibrated)->raw_scores(split[2].candidates);
  if (!test_raw) return test_raw.status();
  TrainingOutcome out;
  out.rounds = best_round + 1;
  HeldOutScores& h = out.held_out;
  h.real = split[2].real;
  for (size_t i = 0; i < test_raw->size(); ++i) {
    h.model.push_back(calibration->apply((*test_raw)[i]));
    h.heuristic.push_back(heuristic_real_bogus(split[2].candidates[i]));
    h.snr.push_back(split[2].candidates[i].snr);
  }
  if (o.baseline) {
    std::vector<Candidate> test = split[2].candidates;
    score_real_bogus(o.baseline.get(), test);
    for (const Candidate& c : test) h.baseline.push_back(c.real_bogus);
    h.baseline_metrics = binary_metrics(h.baseline, h.real, o.alert_threshold);
  }
  h.model_metrics = binary_metrics(h.model, h.real, o.alert_threshold);
  h.heuristic_metrics = binary_metrics(h.heuristic, h.real, o.alert_threshold);

  nlohmann::ordered_json training;
  training["created_utc"] = [] {
    std::time_t t = std::time(nullptr);
    char b[32];
    std::strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    return std::string(b);
  }();
  training["provenance"] = o.provenance;
  std::map<std::string, int> by_source;
  for (const auto& e : examples) by_source[e.source + (e.real ? ":real" : ":bogus")] += 1;
  training["labels_by_source"] = by_source;
  training["split"] = {{"by", "exposure"},
                       {"seed", o.seed},
                       {"training", counts_json(split[0])},
                       {"calibration", counts_json(split[1])},
                       {"test", counts_json(split[2])}};
  nlohmann::ordered_json pj;
  for (const auto& [k, v] : params)
    if (k != "nthread" && k != "verbosity") pj[k] = v;
  training["xgboost"] = {{"params", pj}, {"rounds", out.rounds}, {"max_rounds", o.max_rounds},
                         {"early_stopping_rounds", o.early_stopping_rounds}};
  training["held_out"] = {{"set", "test"},
                          {"model", metrics_json(h.model_metrics)},
                          {"heuristic", metrics_json(h.heuristic_metrics)},
                          {"heuristic_version", kHeuristicRealBogusVersion}};
  auto model = RealBogusModel::assemble(booster_json, std::move(calibration).value(),
                                        std::move(training), o.date.empty() ? today_utc() : o.date);
  if (!model) return model.status();
  out.model = std::move(model).value();
  return out;
}

}  // namespace blink
