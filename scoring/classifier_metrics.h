// How good a probabilistic real/bogus score is on labelled candidates:
// ranking (ROC AUC), calibration (Brier, log-loss, reliability), and what a
// threshold keeps (purity, completeness). Pure functions.
#pragma once

#include <vector>

namespace blink {

// `p[i]` is the score of example i, `real[i]` its label (1 real, 0 bogus).
struct BinaryMetrics {
  int n = 0, n_real = 0;
  double auc = 0;       // probability a random real outscores a random bogus (ties count half)
  double brier = 0;     // mean (p - label)^2
  double log_loss = 0;  // mean -log likelihood, p clipped to [1e-6, 1 - 1e-6]
  double threshold = 0;
  int selected = 0;           // p >= threshold
  double purity = 0;          // real among selected (0 when none selected)
  double completeness = 0;    // selected among real
};
BinaryMetrics binary_metrics(const std::vector<double>& p, const std::vector<int>& real,
                             double threshold);

double roc_auc(const std::vector<double>& p, const std::vector<int>& real);

// The share of real examples with `counts` set (all when empty) whose score
// is above the threshold that keeps `fpr` of the bogus ones: e.g. the
// completeness on S/N >= 8 transients at a 1% false-positive rate.
struct OperatingPoint {
  double threshold = 1;
  double completeness = 0;
  int counted = 0;  // real examples counted
};
OperatingPoint completeness_at_fpr(const std::vector<double>& p, const std::vector<int>& real,
                                   double fpr, const std::vector<bool>& counts = {});

// The ROC curve from (0,0) to (1,1), one point per distinct score.
struct RocPoint {
  double false_positive_rate = 0, true_positive_rate = 0;
};
std::vector<RocPoint> roc_curve(const std::vector<double>& p, const std::vector<int>& real);

// Equal-width bins of predicted probability and the fraction real in each.
struct ReliabilityBin {
  double lo = 0, hi = 0;
  int count = 0;
  double mean_predicted = 0, fraction_real = 0;  // 0 when count == 0
};
std::vector<ReliabilityBin> reliability_bins(const std::vector<double>& p,
                                             const std::vector<int>& real, int bins);

}  // namespace blink
