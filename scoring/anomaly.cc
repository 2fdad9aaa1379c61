#include "anomaly.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace blink {
namespace {

// Expected path length of an unsuccessful binary-search-tree search among n points.
double average_path(double n) {
  if (n <= 1) return 0;
  if (n == 2) return 1;
  return 2.0 * (std::log(n - 1.0) + 0.5772156649) - 2.0 * (n - 1.0) / n;
}

double clip(double v, double lo, double hi) { return std::isfinite(v) ? std::clamp(v, lo, hi) : NAN; }

}  // namespace

const std::vector<std::string>& anomaly_feature_names() {
  static const std::vector<std::string> names = {
      "log_snr", "mag", "log_fwhm_ratio", "elongation", "negative_fraction", "log_sharpness",
      "log_ref_distance", "host_separation_radii", "ref_point_source", "real_bogus",
      "log_detections", "days_since_first", "rise_mag", "change_since_last_mag"};
  return names;
}

std::vector<double> anomaly_features(const Candidate& c, const CandidateHistory& h) {
  // The light curve, in a few numbers: how long it has been seen, how much
  // brighter it is than the deepest limit before it, how much it changed.
  double days = 0, rise = 0, change = 0;
  if (!h.detections.empty()) {
    days = h.detections.back().mjd - h.detections.front().mjd;
    change = c.mag - h.detections.back().mag;
  }
  for (const NonDetection& n : h.non_detections)
    if (n.limiting_mag > 0) rise = std::max(rise, n.limiting_mag - c.mag);
  return {
      std::log10(std::max(std::abs(c.snr), 1.0)),
      clip(c.mag, 5, 35),
      std::log(std::max(c.fwhm_ratio, 0.05)),
      clip(c.elongation, 1, 20),
      clip(c.negative_fraction, 0, 1),
      std::log(std::max(c.sharpness, 0.05)),
      std::log10(1.0 + clip(c.ref_distance, 0, 1000)),
      c.host_radius > 0 ? clip(c.host_offset / c.host_radius, 0, 10) : 11.0,
      c.ref_point_source ? 1.0 : 0.0,
      clip(c.real_bogus, 0, 1),
      std::log1p(double(h.detections.size())),
      clip(days, 0, 365),
      clip(rise, 0, 15),
      clip(change, -10, 10),
  };
}

Result<IsolationForest> IsolationForest::fit(const std::vector<std::vector<double>>& rows,
                                             const IsolationForestOptions& o) {
  if (rows.size() < 2) return Status::invalid("isolation forest: need at least 2 rows, got " + std::to_string(rows.size()));
  const size_t dims = rows[0].size();
  for (const auto& r : rows)
    if (r.size() != dims) return Status::invalid("isolation forest: rows of different lengths");
  IsolationForest f;
  f.medians_.assign(dims, 0);
  for (size_t k = 0; k < dims; ++k) {
    std::vector<double> col;
    for (const auto& r : rows)
      if (std::isfinite(r[k])) col.push_back(r[k]);
    if (!col.empty()) {
      std::nth_element(col.begin(), col.begin() + col.size() / 2, col.end());
      f.medians_[k] = col[col.size() / 2];
    }
  }
  std::vector<std::vector<double>> data;
  data.reserve(rows.size());
  for (const auto& r : rows) data.push_back(f.impute(r));

  const size_t psi = std::min(rows.size(), size_t(std::max(2, o.sample_size)));
  const int max_depth = int(std::ceil(std::log2(double(psi))));
  f.c_n_ = average_path(double(psi));
  std::mt19937_64 rng(o.seed);
  std::vector<size_t> all(data.size());
  std::iota(all.begin(), all.end(), 0);
  for (int t = 0; t < std::max(1, o.trees); ++t) {
    std::vector<size_t> sample;
    std::sample(all.begin(), all.end(), std::back_inserter(sample), psi, rng);
    Tree tree;
    // Iterative build: (node, points, depth) on a stack.
    struct Work {
      int node;
      std::vector<size_t> points;
      int depth;
    };
    tree.nodes.push_back({});
    std::vector<Work> stack{{0, std::move(sample), 0}};
    while (!stack.empty()) {
      Work w = std::move(stack.back());
      stack.pop_back();
      Node& n = tree.nodes[size_t(w.node)];
      n.size = int(w.points.size());
      if (w.depth >= max_depth || w.points.size() <= 1) continue;
      // A random feature that varies among these points, and a random cut in its range.
      std::vector<int> features(dims);
      std::iota(features.begin(), features.end(), 0);
      std::shuffle(features.begin(), features.end(), rng);
      int feature = -1;
      double lo = 0, hi = 0;
      for (int k : features) {
        lo = hi = data[w.points[0]][size_t(k)];
        for (size_t i : w.points) lo = std::min(lo, data[i][size_t(k)]), hi = std::max(hi, data[i][size_t(k)]);
        if (hi > lo) {
          feature = k;
          break;
        }
      }
      if (feature < 0) continue;  // all points identical
      const double split = std::uniform_real_distribution<double>(lo, hi)(rng);
      Work left{int(tree.nodes.size()), {}, w.depth + 1}, right{int(tree.nodes.size()) + 1, {}, w.depth + 1};
      for (size_t i : w.points) (data[i][size_t(feature)] < split ? left : right).points.push_back(i);
      n.feature = feature, n.split = split, n.left = left.node, n.right = right.node;
      tree.nodes.push_back({});
      tree.nodes.push_back({});
      stack.push_back(std::move(left));
      stack.push_back(std::move(right));
    }
    f.trees_.push_back(std::move(tree));
  }
  f.training_scores_.reserve(data.size());
  for (const auto& r : data) f.training_scores_.push_back(f.raw_score(r));
  std::sort(f.training_scores_.begin(), f.training_scores_.end());
  return f;
}

std::vector<double> IsolationForest::impute(const std::vector<double>& x) const {
  std::vector<double> out(medians_.size());
  for (size_t k = 0; k < out.size(); ++k) out[k] = k < x.size() && std::isfinite(x[k]) ? x[k] : medians_[k];
  return out;
}

double IsolationForest::path_length(const Tree& t, const std::vector<double>& x) const {
  int node = 0, depth = 0;
  while (t.nodes[size_t(node)].feature >= 0) {
    const Node& n = t.nodes[size_t(node)];
    node = x[size_t(n.feature)] < n.split ? n.left : n.right;
    ++depth;
  }
  return depth + average_path(t.nodes[size_t(node)].size);
}

double IsolationForest::raw_score(const std::vector<double>& x_in) const {
  if (trees_.empty()) return 0.5;
  const std::vector<double> x = impute(x_in);
  double sum = 0;
  for (const Tree& t : trees_) sum += path_length(t, x);
  return std::pow(2.0, -(sum / double(trees_.size())) / std::max(c_n_, 1e-9));
}

double IsolationForest::percentile(const std::vector<double>& x) const {
  if (training_scores_.empty()) return 0;
  const double s = raw_score(x);
  auto it = std::upper_bound(training_scores_.begin(), training_scores_.end(), s);
  return double(it - training_scores_.begin()) / double(training_scores_.size());
}

}  // namespace blink
