// How unusual a candidate is among recent ones: an isolation forest (Liu,
// Ting & Zhou 2008) on measured features and light-curve summaries. Points
// that random axis-aligned cuts isolate in few steps are rare. The score is
// reported as the share of the training candidates that are less unusual,
// so 0.99 means "odder than 99% of what was seen recently".
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "candidate.h"
#include "history.h"
#include "status.h"

namespace blink {

// The features the forest sees, with names for the README and the report.
std::vector<double> anomaly_features(const Candidate& c, const CandidateHistory& h);
const std::vector<std::string>& anomaly_feature_names();

struct IsolationForestOptions {
  int trees = 100;
  int sample_size = 256;  // points per tree (the paper's default)
  uint64_t seed = 1;
};

class IsolationForest {
 public:
  // Fits on `rows` (all of one length, at least 2 rows); non-finite values
  // are treated as the column's median.
  static Result<IsolationForest> fit(const std::vector<std::vector<double>>& rows,
                                     const IsolationForestOptions& options = {});

  // The paper's score 2^(-E[h(x)] / c(n)): about 0.5 for ordinary points, near 1 for anomalies.
  double raw_score(const std::vector<double>& x) const;
  // Share of the training rows whose raw score is at most x's: 0 (ordinary) .. 1.
  double percentile(const std::vector<double>& x) const;
  size_t training_rows() const { return training_scores_.size(); }

 private:
  struct Node {
    int feature = -1;  // -1: a leaf
    double split = 0;
    int left = -1, right = -1;
    int size = 0;      // points that reached a leaf
  };
  struct Tree {
    std::vector<Node> nodes;
  };
  double path_length(const Tree& t, const std::vector<double>& x) const;
  std::vector<double> impute(const std::vector<double>& x) const;

  std::vector<Tree> trees_;
  std::vector<double> medians_;
  double c_n_ = 1;  // average path length of an unsuccessful search in a sample
  std::vector<double> training_scores_;  // sorted
};

}  // namespace blink
