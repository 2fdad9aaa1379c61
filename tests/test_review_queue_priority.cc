// Review queue priority (review/queue_priority): fresher first, nearly-retired
// first, anomalies boosted.
#include <catch2/catch.hpp>
#include <cmath>

#include "queue_priority.h"

using namespace blink::review;

TEST_CASE("queue priority: a fresher candidate comes first", "[review]") {
  QueueSubject young{0.5, 0.5, 2, false}, old = young;
  old.age_hours = 10;
  CHECK(queue_priority(young) > queue_priority(old));
}

TEST_CASE("queue priority: a candidate closer to retirement comes first", "[review]") {
  QueueSubject near{1, 0.97, 3, false}, far{1, 0.5, 3, false}, near_bogus{1, 0.03, 3, false};
  CHECK(queue_priority(near) > queue_priority(far));
  CHECK(queue_priority(near_bogus) > queue_priority(far));
}

TEST_CASE("queue priority: a candidate near its vote limit counts as close", "[review]") {
  QueueSubject last_vote{1, 0.5, 14, false}, fresh{1, 0.5, 0, false};
  CHECK(queue_priority(last_vote) > queue_priority(fresh));
}

TEST_CASE("queue priority: anomaly-flagged candidates are boosted", "[review]") {
  QueueSubject plain{2, 0.5, 1, false}, odd = plain;
  odd.anomaly = true;
  CHECK(queue_priority(odd) == Approx(2 * queue_priority(plain)));
}

TEST_CASE("queue priority: stays positive and finite for extreme input", "[review]") {
  for (const QueueSubject& s :
       {QueueSubject{1e6, 0.5, 0, false}, QueueSubject{-3, 0.0, 0, false},
        QueueSubject{0, 1.0, 100, true}, QueueSubject{0, std::nan(""), 0, false}}) {
    const double p = queue_priority(s);
    CHECK(std::isfinite(p));
    CHECK(p > 0);
  }
}
