// Training-subject rate (review/training_rate): falls with experience to a floor.
#include <catch2/catch.hpp>

#include "training_rate.h"

using namespace blink::review;

TEST_CASE("training rate: starts at initial and halves every half_life", "[review]") {
  TrainingSchedule s{0.5, 0.05, 20};
  CHECK(training_rate(0, s) == Approx(0.5));
  CHECK(training_rate(20, s) == Approx(0.25));
  CHECK(training_rate(40, s) == Approx(0.125));
}

TEST_CASE("training rate: never increases with experience and settles on the floor", "[review]") {
  TrainingSchedule s;
  double last = 1;
  for (int n = 0; n <= 500; ++n) {
    const double r = training_rate(n, s);
    CHECK(r <= last);
    last = r;
  }
  CHECK(training_rate(500, s) == Approx(s.floor));
  CHECK(training_rate(100000, s) == Approx(s.floor));
}

TEST_CASE("training rate: the choice is deterministic given the uniform number", "[review]") {
  TrainingSchedule s{0.5, 0.05, 20};
  CHECK(next_is_training(0, 0.49, s));
  CHECK_FALSE(next_is_training(0, 0.5, s));
  CHECK(next_is_training(1000, 0.049, s));
  CHECK_FALSE(next_is_training(1000, 0.06, s));
}
