#include "queue_priority.h"

#include <algorithm>
#include <cmath>

namespace blink::review {

namespace {

double logit(double p) {
  p = std::clamp(p, 1e-12, 1 - 1e-12);
  return std::log(p / (1 - p));
}

}  // namespace

double queue_priority(const QueueSubject& s, const RetirementPolicy& policy,
                      const QueueWeights& w) {
  const double age = std::isfinite(s.age_hours) ? std::max(0.0, s.age_hours) : 0.0;
  const double freshness =
      w.freshness_half_life_hours > 0 ? std::exp2(-age / w.freshness_half_life_hours) : 1.0;
  // A NaN posterior is treated as even odds.
  const double x = logit(std::isnan(s.posterior) ? 0.5 : s.posterior);
  const double distance =
      std::max(0.0, std::min(logit(policy.real_threshold) - x, x - logit(policy.bogus_threshold)));
  const double by_evidence = w.vote_log_odds > 0 ? distance / w.vote_log_odds : distance;
  const double by_limit = std::max(0, policy.max_votes - s.votes);
  const double closeness = 1.0 / (1.0 + std::min(by_evidence, by_limit));
  const double boost = s.anomaly ? w.anomaly_boost : 1.0;
  // exp2 of a huge age underflows to 0; the score stays > 0 as documented.
  return std::max(freshness, 1e-300) * (1.0 + w.closeness_weight * closeness) * boost;
}

}  // namespace blink::review
