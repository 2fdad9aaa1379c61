#include "classifier_metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace blink {
namespace {

// Indices of `p` sorted by decreasing score.
std::vector<size_t> by_score_descending(const std::vector<double>& p) {
  std::vector<size_t> order(p.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return p[a] > p[b]; });
  return order;
}

}  // namespace

OperatingPoint completeness_at_fpr(const std::vector<double>& p, const std::vector<int>& real,
                                   double fpr, const std::vector<bool>& counts) {
  std::vector<double> bogus;
  for (size_t i = 0; i < p.size(); ++i)
    if (!real[i]) bogus.push_back(p[i]);
  OperatingPoint out;
  if (bogus.empty()) return out;
  // The threshold lets through at most fpr of the bogus scores (ties above it).
  std::sort(bogus.begin(), bogus.end(), std::greater<double>());
  const size_t allowed = size_t(std::floor(fpr * double(bogus.size())));
  out.threshold = allowed < bogus.size() ? bogus[allowed] : -1.0;
  int kept = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    if (!real[i] || (!counts.empty() && !counts[i])) continue;
    ++out.counted;
    kept += p[i] > out.threshold;
  }
  out.completeness = out.counted ? double(kept) / out.counted : 0;
  return out;
}

double roc_auc(const std::vector<double>& p, const std::vector<int>& real) {
  // Mann-Whitney U with average ranks for ties.
  std::vector<size_t> order(p.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return p[a] < p[b]; });
  double rank_sum = 0;
  long n_real = 0, n_bogus = 0;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j < order.size() && p[order[j]] == p[order[i]]) ++j;
    const double rank = (double(i) + double(j - 1)) / 2 + 1;
    for (size_t k = i; k < j; ++k)
      if (real[order[k]]) rank_sum += rank;
    i = j;
  }
  for (int r : real) (r ? n_real : n_bogus) += 1;
  if (n_real == 0 || n_bogus == 0) return 0.5;
  return (rank_sum - double(n_real) * double(n_real + 1) / 2) / (double(n_real) * double(n_bogus));
}

BinaryMetrics binary_metrics(const std::vector<double>& p, const std::vector<int>& real,
                             double threshold) {
  BinaryMetrics m;
  m.n = int(p.size());
  m.threshold = threshold;
  int true_selected = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    const double y = real[i] ? 1.0 : 0.0;
    const double q = std::clamp(p[i], 1e-6, 1 - 1e-6);
    m.n_real += real[i] ? 1 : 0;
    m.brier += (p[i] - y) * (p[i] - y);
    m.log_loss -= y * std::log(q) + (1 - y) * std::log(1 - q);
    if (p[i] >= threshold) {
      ++m.selected;
      true_selected += real[i] ? 1 : 0;
    }
  }
  if (m.n > 0) {
    m.brier /= m.n;
    m.log_loss /= m.n;
  }
  m.auc = roc_auc(p, real);
  m.purity = m.selected > 0 ? double(true_selected) / m.selected : 0;
  m.completeness = m.n_real > 0 ? double(true_selected) / m.n_real : 0;
  return m;
}

std::vector<RocPoint> roc_curve(const std::vector<double>& p, const std::vector<int>& real) {
  long n_real = 0, n_bogus = 0;
  for (int r : real) (r ? n_real : n_bogus) += 1;
  std::vector<RocPoint> out{{0, 0}};
  if (n_real == 0 || n_bogus == 0) {
    out.push_back({1, 1});
    return out;
  }
  const auto order = by_score_descending(p);
  long tp = 0, fp = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    (real[order[i]] ? tp : fp) += 1;
    if (i + 1 == order.size() || p[order[i + 1]] != p[order[i]])
      out.push_back({double(fp) / n_bogus, double(tp) / n_real});
  }
  return out;
}

std::vector<ReliabilityBin> reliability_bins(const std::vector<double>& p,
                                             const std::vector<int>& real, int bins) {
  std::vector<ReliabilityBin> out(size_t(std::max(1, bins)));
  for (size_t b = 0; b < out.size(); ++b) {
    out[b].lo = double(b) / out.size();
    out[b].hi = double(b + 1) / out.size();
  }
  for (size_t i = 0; i < p.size(); ++i) {
    size_t b = size_t(std::clamp(p[i], 0.0, 1.0) * out.size());
    b = std::min(b, out.size() - 1);
    out[b].count += 1;
    out[b].mean_predicted += p[i];
    out[b].fraction_real += real[i] ? 1 : 0;
  }
  for (ReliabilityBin& b : out)
    if (b.count > 0) {
      b.mean_predicted /= b.count;
      b.fraction_real /= b.count;
    }
  return out;
}

}  // namespace blink
