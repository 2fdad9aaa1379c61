// Fitting the real/bogus model (realbogus_model.h) on labelled candidates:
// a split by exposure into training, calibration and test sets, boosted
// trees fitted on the first with early stopping on the second, isotonic
// calibration fitted on the second, and figures on the third beside the
// heuristic's. blink-train prints them; the model file keeps them.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "candidate.h"
#include "classifier_metrics.h"
#include "realbogus_model.h"

namespace blink {

// One candidate whose truth is known.
struct LabelledCandidate {
  Candidate candidate;
  bool real = false;
  std::string group;   // its exposure: the split never separates one exposure's candidates
  std::string source;  // where the label came from ("sim", "fake", "verdict", ...)
};

struct TrainingOptions {
  double test_fraction = 0.2;         // of exposures, for the figures
  double calibration_fraction = 0.2;  // of exposures, for early stopping and calibration
  int max_rounds = 400;
  int early_stopping_rounds = 30;     // on the calibration set's log-loss
  int max_depth = 4;
  double eta = 0.1;
  double min_child_weight = 2;
  double subsample = 0.8;
  double colsample_bytree = 0.8;
  int threads = 2;
  uint64_t seed = 1;
  double alert_threshold = 0.8;       // purity and completeness are quoted here
  std::string date;                   // YYYYMMDD for the version; empty: today (UTC)
  nlohmann::ordered_json provenance;  // stored under training (command, sources, ...)
  std::function<void(const std::string&)> progress;  // one line at a time; optional
  // Also scored on the held-out set, to compare a new model with the one in
  // use before swapping (blinkd's retraining). Optional.
  std::shared_ptr<const RealBogusModel> baseline;
};

// The held-out (test) set's labels and both scores, for figures and plots.
struct HeldOutScores {
  std::vector<int> real;
  std::vector<double> snr;  // of each candidate, for completeness by S/N
  std::vector<double> model, heuristic, baseline;  // baseline: when options.baseline is set
  BinaryMetrics model_metrics, heuristic_metrics, baseline_metrics;
};

struct TrainingOutcome {
  std::shared_ptr<const RealBogusModel> model;
  HeldOutScores held_out;
  int rounds = 0;  // boosting rounds kept
};

// Needs real and bogus examples in at least three exposures.
Result<TrainingOutcome> train_real_bogus(const std::vector<LabelledCandidate>& examples,
                                         const TrainingOptions& options);

}  // namespace blink
