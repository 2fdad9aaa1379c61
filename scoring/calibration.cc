#include "calibration.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace blink {

double Calibration::apply(double raw) const {
  if (x.empty()) return std::clamp(raw, 0.0, 1.0);
  if (std::isnan(raw)) return 0.5;
  if (raw <= x.front()) return y.front();
  if (raw >= x.back()) return y.back();
  const size_t hi = size_t(std::upper_bound(x.begin(), x.end(), raw) - x.begin());
  const size_t lo = hi - 1;
  const double t = (raw - x[lo]) / (x[hi] - x[lo]);
  return y[lo] + t * (y[hi] - y[lo]);
}

std::string Calibration::problem() const {
  if (method != "isotonic") return "unknown calibration method \"" + method + "\" (known: isotonic)";
  if (x.size() != y.size()) return "calibration x and y differ in length";
  for (size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i]) || !std::isfinite(y[i]) || y[i] < 0 || y[i] > 1)
      return "calibration knot " + std::to_string(i) + " is not a finite probability";
    if (i > 0 && (x[i] <= x[i - 1] || y[i] < y[i - 1]))
      return "calibration knots are not increasing at " + std::to_string(i);
  }
  return "";
}

Result<Calibration> fit_isotonic(const std::vector<double>& raw, const std::vector<int>& real) {
  if (raw.size() != real.size()) return Status::invalid("fit_isotonic: scores and labels differ in length");
  const long n_real = std::count_if(real.begin(), real.end(), [](int r) { return r != 0; });
  if (n_real == 0 || size_t(n_real) == real.size())
    return Status::invalid("isotonic calibration needs real and bogus examples, got " +
                           std::to_string(n_real) + " real of " + std::to_string(real.size()));
  std::vector<size_t> order(raw.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return raw[a] < raw[b]; });
  // Pool adjacent violators over groups of equal raw score.
  struct Block {
    double x_lo, x_hi, weight, sum;
  };
  std::vector<Block> blocks;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    Block b{raw[order[i]], raw[order[i]], 0, 0};
    for (; j < order.size() && raw[order[j]] == raw[order[i]]; ++j) {
      b.weight += 1;
      b.sum += real[order[j]] ? 1 : 0;
    }
    blocks.push_back(b);
    while (blocks.size() > 1) {
      Block& prev = blocks[blocks.size() - 2];
      const Block& last = blocks.back();
      if (prev.sum / prev.weight < last.sum / last.weight) break;
      prev = {prev.x_lo, last.x_hi, prev.weight + last.weight, prev.sum + last.sum};
      blocks.pop_back();
    }
    i = j;
  }
  Calibration c;
  for (const Block& b : blocks) {
    const double p = std::clamp(b.sum / b.weight, kMinCalibrated, kMaxCalibrated);
    for (double x : {b.x_lo, b.x_hi}) {
      if (!c.x.empty() && x <= c.x.back()) continue;
      c.x.push_back(x);
      c.y.push_back(p);
    }
  }
  // Clamping can make equal neighbours; the map stays non-decreasing.
  return c;
}

}  // namespace blink
