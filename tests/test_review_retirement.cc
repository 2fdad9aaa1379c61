// Retirement (review/retirement): thresholds, the vote limit, escalation of
// odd votes from skilled volunteers only, and policy validation.
#include <catch2/catch.hpp>

#include "retirement.h"

using namespace blink::review;

namespace {

Skill with_training(int n, double right_share) {
  Skill s;
  const int right = int(n * right_share + 0.5);
  for (int i = 0; i < n; ++i) {
    const bool ok = i < right;
    s.observe(i % 2 ? Truth::kReal : Truth::kBogus,
              (i % 2 == 0) == ok ? Answer::kBogus : Answer::kReal);
  }
  return s;
}

}  // namespace

TEST_CASE("retirement: at or above real_threshold retires real", "[review]") {
  RetirementPolicy p;
  CHECK(decide(0.99, 3, Answer::kReal, Skill(), p).decision == Decision::kRetireReal);
  CHECK(decide(0.999, 3, Answer::kReal, Skill(), p).decision == Decision::kRetireReal);
  CHECK(decide(0.993, 4, Answer::kReal, Skill(), p).reason ==
        "posterior 0.993 >= real_threshold 0.990 after 4 votes");
}

TEST_CASE("retirement: at or below bogus_threshold retires bogus", "[review]") {
  RetirementPolicy p;
  CHECK(decide(0.01, 2, Answer::kBogus, Skill(), p).decision == Decision::kRetireBogus);
  CHECK(decide(0.002, 1, Answer::kBogus, Skill(), p).reason ==
        "posterior 0.002 <= bogus_threshold 0.010 after 1 vote");
}

TEST_CASE("retirement: between the thresholds it continues", "[review]") {
  RetirementPolicy p;
  for (double post : {0.011, 0.5, 0.989})
    CHECK(decide(post, 3, Answer::kReal, Skill(), p).decision == Decision::kContinue);
}

TEST_CASE("retirement: a machine score alone cannot reach a threshold", "[review]") {
  RetirementPolicy p;
  CHECK(decide(machine_prior(1.0), 0, Answer::kOdd, Skill(), p).decision == Decision::kContinue);
  CHECK(decide(machine_prior(0.0), 0, Answer::kOdd, Skill(), p).decision == Decision::kContinue);
}

TEST_CASE("retirement: reaching max_votes undecided retires undecided", "[review]") {
  RetirementPolicy p;
  p.max_votes = 15;
  CHECK(decide(0.6, 14, Answer::kReal, Skill(), p).decision == Decision::kContinue);
  const RetirementDecision d = decide(0.6, 15, Answer::kReal, Skill(), p);
  CHECK(d.decision == Decision::kRetireUndecided);
  CHECK(d.reason == "posterior 0.600 undecided after 15 votes (max_votes 15)");
}

TEST_CASE("retirement: a threshold reached on the last allowed vote still retires decided",
          "[review]") {
  CHECK(decide(0.995, 15, Answer::kReal, Skill(), {}).decision == Decision::kRetireReal);
}

TEST_CASE("retirement: an odd vote from a skilled volunteer escalates", "[review]") {
  const Skill expert = with_training(30, 1.0);
  REQUIRE(is_skilled(expert, {}));
  const RetirementDecision d = decide(0.5, 2, Answer::kOdd, expert, {});
  CHECK(d.decision == Decision::kEscalate);
  CHECK_THAT(d.reason, Catch::StartsWith("odd vote from a skilled volunteer"));
}

TEST_CASE("retirement: an odd vote from an unskilled volunteer does not escalate", "[review]") {
  const Skill average = with_training(30, 0.7);
  REQUIRE_FALSE(is_skilled(average, {}));
  CHECK(decide(0.5, 2, Answer::kOdd, average, {}).decision == Decision::kContinue);
  CHECK(decide(0.5, 2, Answer::kOdd, Skill(), {}).decision == Decision::kContinue);
}

TEST_CASE("retirement: perfect answers on too few training subjects are not yet skilled",
          "[review]") {
  RetirementPolicy p;
  const Skill lucky = with_training(p.odd_escalation_min_training - 1, 1.0);
  CHECK_FALSE(is_skilled(lucky, p));
  CHECK(decide(0.5, 1, Answer::kOdd, lucky, p).decision == Decision::kContinue);
}

TEST_CASE("retirement: a skilled volunteer's real or bogus vote never escalates", "[review]") {
  const Skill expert = with_training(30, 1.0);
  CHECK(decide(0.5, 2, Answer::kReal, expert, {}).decision == Decision::kContinue);
  CHECK(decide(0.5, 2, Answer::kBogus, expert, {}).decision == Decision::kContinue);
}

TEST_CASE("retirement: policies with crossed or out-of-range thresholds are invalid", "[review]") {
  CHECK(validate(RetirementPolicy{}).is_ok());
  CHECK_FALSE(validate(RetirementPolicy{0.4, 0.6}).is_ok());
  CHECK_FALSE(validate(RetirementPolicy{1.0, 0.01}).is_ok());
  CHECK_FALSE(validate(RetirementPolicy{0.99, 0.0}).is_ok());
  RetirementPolicy no_votes;
  no_votes.max_votes = 0;
  CHECK_FALSE(validate(no_votes).is_ok());
}
