// StallWatch: /readyz's "queue not stalled" rule, stepped with a fake clock.
#include <catch2/catch.hpp>

#include "status_api.h"

using blink::StallWatch;
using namespace std::chrono_literals;

namespace {
const StallWatch::Clock::time_point t0{};
}

TEST_CASE("readiness: an idle daemon is never stalled", "[ops]") {
  StallWatch w(60s);
  CHECK(w.check(0, 0, 0, t0).empty());
  CHECK(w.check(0, 0, 0, t0 + 1h).empty());
}

TEST_CASE("readiness: work waiting with no exposure finished for the limit is stalled", "[ops]") {
  StallWatch w(60s);
  CHECK(w.check(0, 0, 5, t0).empty());
  CHECK(w.check(3, 1, 5, t0 + 10s).empty());  // work arrived: counts from here
  CHECK(w.check(3, 1, 5, t0 + 69s).empty());  // 59 s without progress
  std::string reason = w.check(3, 1, 5, t0 + 71s);
  CHECK_THAT(reason, Catch::StartsWith("queue stalled: 3 queued and 1 in flight"));
  CHECK_THAT(reason, Catch::Contains("last 61 s"));
  CHECK_THAT(reason, Catch::Contains("http.ready_stall_seconds = 60"));
}

TEST_CASE("readiness: a finished exposure restarts the stall clock", "[ops]") {
  StallWatch w(60s);
  CHECK(w.check(4, 2, 0, t0).empty());
  CHECK(w.check(4, 2, 1, t0 + 50s).empty());
  CHECK(w.check(3, 2, 1, t0 + 100s).empty());
  CHECK_FALSE(w.check(3, 2, 1, t0 + 111s).empty());
  CHECK(w.check(2, 2, 2, t0 + 112s).empty());  // progress again: ready again
}

TEST_CASE("readiness: a limit of 0 never reports a stall", "[ops]") {
  StallWatch w(0s);
  CHECK(w.check(4, 2, 0, t0).empty());
  CHECK(w.check(4, 2, 0, t0 + 24h).empty());
}
