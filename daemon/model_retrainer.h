// The learning loop: on a schedule, blinkd retrains its real/bogus model on
// the labels its own database has gathered (recovered fakes, training
// subjects, volunteers' retired verdicts, archived artefacts), compares the
// new model with the one in use on the same held-out exposures, and swaps it
// in only when it is at least as good. The swapped model is saved under
// state/models/, so a restart or reload keeps it (while scoring.model is
// left empty). Runs on its own thread: training never holds up a worker.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "metrics.h"
#include "processor.h"

namespace blink {

struct RetrainSettings {
  double hours = 0;      // scoring.retrain_hours; 0: never
  int min_labels = 200;  // scoring.retrain_min_labels
};

// What one attempt concluded, for the log and the tests.
struct RetrainOutcome {
  bool trained = false, swapped = false;
  std::string line;  // the log line
};

// One attempt, synchronously: label, train with `current` as the baseline,
// decide. On a swap the new model is saved as `models_dir`/retrained.json.
RetrainOutcome retrain_once(const std::string& db_path, const std::string& models_dir,
                            const std::shared_ptr<const RealBogusModel>& current, int min_labels);

class ModelRetrainer {
 public:
  ModelRetrainer(std::string db_path, std::string models_dir, SettingsHolder& settings,
                 Metrics& metrics);
  ~ModelRetrainer();  // stops and joins
  // Applies scoring.retrain_* (start-up and reload) and whether scoring.model
  // is left to blinkd (empty): an operator's own model file is never replaced.
  void configure(RetrainSettings settings, bool model_is_ours);

 private:
  void run();
  std::string db_path_, models_dir_;
  SettingsHolder& settings_;
  Metrics& metrics_;
  std::mutex mutex_;
  std::condition_variable wake_;
  RetrainSettings config_;
  bool ours_ = false, stop_ = false;
  std::thread thread_;
};

// state/models/retrained.json when blinkd has swapped in a model of its own.
std::string retrained_model_path(const std::string& state_dir);

}  // namespace blink
