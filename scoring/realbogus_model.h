// The trained real/bogus model: gradient-boosted trees (XGBoost) on the
// features of realbogus_features.h, followed by a calibration fitted on
// held-out candidates, so a score is a probability that the candidate is a
// real astrophysical change. blink-train builds it; blinkd loads it.
//
// The model file is one JSON object (docs/realbogus-model.md):
//   {"format": "blink.realbogus/1", "version": "rb-YYYYMMDD-<hash>",
//    "features": [names...], "calibration": {"method": "isotonic", "x": [...], "y": [...]},
//    "training": {counts, held-out metrics, parameters, command},
//    "booster": <XGBoost's own JSON model>}
// The version's hash covers the features, the calibration and the booster.
#pragma once

#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "calibration.h"
#include "candidate.h"
#include "realbogus_features.h"
#include "status.h"

namespace blink {

inline constexpr const char* kRealBogusModelFormat = "blink.realbogus/1";

// Immutable once built, except for the booster's own state, which a mutex
// guards: XGBoost does not promise that one booster predicts safely from
// several threads at once. All methods are thread-safe.
class RealBogusModel {
 public:
  ~RealBogusModel();
  RealBogusModel(const RealBogusModel&) = delete;
  RealBogusModel& operator=(const RealBogusModel&) = delete;

  // Reads a model file; errors name the file and what is wrong with it.
  static Result<std::shared_ptr<const RealBogusModel>> load(const std::string& path);
  // The same from the file's text; `origin` names it in errors.
  static Result<std::shared_ptr<const RealBogusModel>> parse(std::string_view text,
                                                             const std::string& origin);
  // Assembles a model (blink-train). `booster_json` is XGBoost's JSON model;
  // `date` (YYYYMMDD) goes into the version.
  static Result<std::shared_ptr<const RealBogusModel>> assemble(const std::string& booster_json,
                                                                Calibration calibration,
                                                                nlohmann::ordered_json training,
                                                                const std::string& date);

  const std::string& version() const { return version_; }
  const Calibration& calibration() const { return calibration_; }
  const nlohmann::ordered_json& training() const { return training_; }

  // The trees' uncalibrated probabilities, one per candidate.
  Result<std::vector<double>> raw_scores(const std::vector<Candidate>& candidates) const;
  // Calibrated probabilities in [0, 1], one per candidate.
  Result<std::vector<double>> score(const std::vector<Candidate>& candidates) const;

  // The model file's text, and writing it (atomically: a temporary, then rename).
  std::string to_json() const;
  Status save(const std::string& path) const;

 private:
  RealBogusModel() = default;
  static Result<std::shared_ptr<const RealBogusModel>> build(const std::string& booster_json,
                                                             Calibration calibration,
                                                             nlohmann::ordered_json training,
                                                             std::string version,
                                                             const std::string& origin);

  void* booster_ = nullptr;  // BoosterHandle
  mutable std::mutex predict_mutex_;
  std::string version_;
  Calibration calibration_;
  nlohmann::ordered_json training_;
  std::string booster_json_;
};

// Sets real_bogus on every candidate: with `model`, or with the heuristic
// (realbogus.h) when `model` is null or cannot score. Returns the version
// that scored them, to stamp on each (RoutedCandidate::model_version).
std::string score_real_bogus(const RealBogusModel* model, std::vector<Candidate>& candidates);

}  // namespace blink
