// Which candidate a volunteer should see next: a pure score, higher first.
// The daemon sorts its review queue by it; nothing here reads a clock.
#pragma once

#include "retirement.h"

namespace blink::review {

// What the score looks at, for one subject in the queue.
struct QueueSubject {
  double age_hours = 0;    // since the candidate was detected
  double posterior = 0.5;  // current SWAP P(real)
  int votes = 0;           // votes so far, odd ones included
  bool anomaly = false;    // flagged by the pipeline as unusual
};

struct QueueWeights {
  double freshness_half_life_hours = 6;  // follow-up is worth most while young
  double closeness_weight = 2;           // how much nearly-retired subjects are preferred
  double vote_log_odds = 1.0;            // a typical vote's log-odds shift (nats)
  double anomaly_boost = 2;              // multiplier for anomaly-flagged subjects
};

// priority = freshness * (1 + closeness_weight * closeness) * boost, where
//   freshness  = 0.5^(age_hours / freshness_half_life_hours)   (age < 0 as 0)
//   closeness  = 1 / (1 + votes_needed)
//   votes_needed = min(d / vote_log_odds, max_votes - votes), d being the
//                  log-odds distance from the posterior to the nearer
//                  retirement threshold (0 once past it)
//   boost      = anomaly_boost if anomaly, else 1.
// So, other things equal: younger first, then the subjects a vote or two
// from retiring (finishing them frees the queue and gives their verdicts
// sooner), with anomalies ahead. Always finite and > 0 for finite input.
double queue_priority(const QueueSubject& subject, const RetirementPolicy& policy = {},
                      const QueueWeights& weights = {});

}  // namespace blink::review
