// The anomaly score's model inside the daemon: an isolation forest fitted on
// the candidates stored in the last few days, refitted on a schedule by
// whichever worker notices it is due (the others keep scoring with the old
// forest meanwhile). Before enough candidates exist it scores 0.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>

#include "anomaly.h"
#include "store.h"

namespace blink {

struct AnomalySettings {
  double window_days = 7;
  double refit_hours = 6;
  int min_candidates = 500;
  int max_candidates = 20000;
};

class AnomalyModel {
 public:
  // Share of recent candidates less unusual than these features; 0 before a fit.
  double score(const std::vector<double>& features) const;
  // Refits from `store` when the schedule says so. Thread-safe and cheap when
  // not due; returns a line for the log when it fitted (or failed), else "".
  std::string refit_if_due(Store& store, const AnomalySettings& settings, double now_unix);
  size_t training_rows() const;

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const IsolationForest> forest_;
  double fitted_unix_ = 0;
  std::atomic<bool> fitting_{false};
};

}  // namespace blink
