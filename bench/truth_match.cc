#include "truth_match.h"

#include <cmath>

namespace blink::bench {

bool is_real_change(const std::string& kind) { return sim::is_astrophysical(kind); }

bool is_transient(const std::string& kind) { return kind.rfind("transient", 0) == 0; }

namespace {

// The nearest candidate to truth row `t` within `r` pixels, or -1.
int nearest(const std::vector<Candidate>& candidates, const sim::TruthRow& t, double r) {
  int best = -1;
  double bd = r;
  for (size_t i = 0; i < candidates.size(); ++i) {
    double d = std::hypot(candidates[i].x - t.x, candidates[i].y - t.y);
    if (d < bd) bd = d, best = int(i);
  }
  return best;
}

// Why a candidate that matches no real change was found.
std::string false_cause(const Candidate& c, const std::vector<sim::TruthRow>& truth) {
  for (const auto& t : truth) {
    if (is_real_change(t.kind)) continue;
    double r = t.kind == "saturated_star" ? 25.0 : 3.0;
    bool near = t.kind == "warm_column" ? std::abs(c.x - t.x) < 2.5 : std::hypot(c.x - t.x, c.y - t.y) < r;
    if (near) return t.kind;
  }
  if (c.on_mask) return "masked_edge";
  if (c.ref_distance < 3 && c.ref_mag < 18) return "bright_star_residual";
  return "other";
}

}  // namespace

std::vector<std::string> candidate_truth_kinds(const std::vector<Candidate>& candidates,
                                               const std::vector<sim::TruthRow>& truth, double radius) {
  std::vector<std::string> kinds(candidates.size());
  for (const auto& t : truth) {
    if (!is_real_change(t.kind)) continue;
    int i = nearest(candidates, t, radius);
    if (i >= 0) kinds[size_t(i)] = t.kind;
  }
  for (size_t i = 0; i < candidates.size(); ++i)
    if (kinds[i].empty()) kinds[i] = false_cause(candidates[i], truth);
  return kinds;
}

ExposureScore score_exposure(const std::vector<Candidate>& candidates, const std::vector<sim::TruthRow>& truth,
                             double radius) {
  ExposureScore out;
  std::vector<char> used(candidates.size(), 0);
  for (const auto& t : truth) {
    if (!is_real_change(t.kind)) continue;
    int i = nearest(candidates, t, radius);
    if (i >= 0) used[i] = 1;
    if (is_transient(t.kind)) out.transients.emplace_back(t, i >= 0 ? &candidates[i] : nullptr);
    else if (i >= 0) {
      ++out.real_changes_found;
      if (t.kind == sim::kKindMoving) ++out.moving_found;
    }
  }
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (used[i]) continue;
    const Candidate& c = candidates[i];
    ++out.false_by_cause[false_cause(c, truth)];
    out.false_real_bogus.push_back(c.real_bogus);
    ++out.false_total;
  }
  return out;
}

}  // namespace blink::bench
