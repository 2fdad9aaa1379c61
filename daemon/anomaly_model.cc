#include "anomaly_model.h"

#include "log.h"

namespace blink {

double AnomalyModel::score(const std::vector<double>& features) const {
  std::shared_ptr<const IsolationForest> forest;
  {
    std::lock_guard lock(mutex_);
    forest = forest_;
  }
  return forest ? forest->percentile(features) : 0.0;
}

size_t AnomalyModel::training_rows() const {
  std::lock_guard lock(mutex_);
  return forest_ ? forest_->training_rows() : 0;
}

std::string AnomalyModel::refit_if_due(Store& store, const AnomalySettings& s, double now) {
  {
    std::lock_guard lock(mutex_);
    // Without a forest, try after every exposure until enough candidates
    // exist (cheap: fewer than min_candidates rows come back until then).
    if (forest_ && now - fitted_unix_ < s.refit_hours * 3600.0) return "";
  }
  if (fitting_.exchange(true)) return "";  // another worker is on it
  struct Clear {
    std::atomic<bool>& flag;
    ~Clear() { flag = false; }
  } clear{fitting_};

  auto rows = store.anomaly_rows(now - s.window_days * 86400.0, s.max_candidates);
  if (!rows) return "anomaly: cannot read candidates to fit on: " + rows.status().message();
  // Rows stored by a build with other features cannot be mixed in.
  std::erase_if(*rows, [](const auto& r) { return r.size() != anomaly_feature_names().size(); });
  if (int(rows->size()) < s.min_candidates) return "";
  IsolationForestOptions options;
  options.seed = uint64_t(now);
  auto forest = IsolationForest::fit(*rows, options);
  if (!forest) return "anomaly: fit failed: " + forest.status().message();
  std::lock_guard lock(mutex_);
  forest_ = std::make_shared<const IsolationForest>(std::move(forest).value());
  fitted_unix_ = now;
  return "anomaly: isolation forest fitted " + kv("candidates", rows->size()) + " " +
         kv("window_days", s.window_days);
}

}  // namespace blink
