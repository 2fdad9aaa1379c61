// SWAP skill and posterior (review/swap): learning a volunteer's confusion
// matrix, Bayes' rule per vote, the machine-prior clamp, vote weight and the
// volunteer-facing description.
#include <catch2/catch.hpp>
#include <cmath>

#include "swap.h"

using namespace blink::review;

namespace {

// A volunteer who answered `right_real` of `n_real` real and `right_bogus` of
// `n_bogus` bogus training subjects correctly.
Skill trained(int n_real, int right_real, int n_bogus, int right_bogus) {
  Skill s;
  for (int i = 0; i < n_real; ++i)
    s.observe(Truth::kReal, i < right_real ? Answer::kReal : Answer::kBogus);
  for (int i = 0; i < n_bogus; ++i)
    s.observe(Truth::kBogus, i < right_bogus ? Answer::kBogus : Answer::kReal);
  return s;
}

}  // namespace

TEST_CASE("swap: a newcomer's rates are the prior's, mildly better than chance", "[review]") {
  Skill s;
  CHECK(s.p_real() == Approx(0.65));
  CHECK(s.p_bogus() == Approx(0.65));
  CHECK(s.training_subjects() == 0);
}

TEST_CASE("swap: training answers update the confusion matrix with the Beta prior", "[review]") {
  Skill s = trained(10, 9, 10, 8);
  CHECK(s.p_real() == Approx((9 + 1.3) / 12.0));
  CHECK(s.p_bogus() == Approx((8 + 1.3) / 12.0));
  CHECK(s.training_subjects() == 20);
}

TEST_CASE("swap: an odd answer does not change the skill", "[review]") {
  Skill s = trained(4, 3, 4, 3);
  const Skill before = s;
  s.observe(Truth::kReal, Answer::kOdd);
  s.observe(Truth::kBogus, Answer::kOdd);
  CHECK(s.p_real() == before.p_real());
  CHECK(s.p_bogus() == before.p_bogus());
  CHECK(s.training_subjects() == before.training_subjects());
}

TEST_CASE("swap: an odd answer does not move the posterior", "[review]") {
  CHECK(update_posterior(0.37, Answer::kOdd, trained(20, 19, 20, 19)) == 0.37);
}

TEST_CASE("swap: a consensus verdict teaches less than a training subject", "[review]") {
  Skill training, consensus;
  training.observe(Truth::kReal, Answer::kBogus, 1.0);
  consensus.observe(Truth::kReal, Answer::kBogus, 0.5);
  CHECK(consensus.p_real() < Skill().p_real());
  CHECK(consensus.p_real() > training.p_real());
  CHECK(consensus.training_subjects() == 0);
  CHECK(training.training_subjects() == 1);
}

TEST_CASE("swap: posterior follows Bayes' rule for real and bogus votes", "[review]") {
  const double p = 0.3, pl = 0.8, pd = 0.9;
  CHECK(update_posterior(p, Answer::kReal, pl, pd) ==
        Approx(p * pl / (p * pl + (1 - p) * (1 - pd))));
  CHECK(update_posterior(p, Answer::kBogus, pl, pd) ==
        Approx(p * (1 - pl) / (p * (1 - pl) + (1 - p) * pd)));
}

TEST_CASE("swap: a skilled volunteer's real vote moves the posterior more than a newcomer's",
          "[review]") {
  const Skill expert = trained(20, 19, 20, 18);
  CHECK(update_posterior(0.5, Answer::kReal, expert) >
        update_posterior(0.5, Answer::kReal, Skill()));
  CHECK(update_posterior(0.5, Answer::kBogus, expert) <
        update_posterior(0.5, Answer::kBogus, Skill()));
}

TEST_CASE("swap: an inverted volunteer cannot push a subject the wrong way", "[review]") {
  const Skill inverted = trained(20, 4, 20, 5);  // PL + PD well below 1
  REQUIRE(inverted.p_real() + inverted.p_bogus() < 1);
  for (double p : {0.05, 0.3, 0.5, 0.9}) {
    CHECK(update_posterior(p, Answer::kReal, inverted) >= p);
    CHECK(update_posterior(p, Answer::kBogus, inverted) <= p);
  }
  CHECK(vote_weight(inverted) == 0);
}

TEST_CASE("swap: a partly inverted volunteer's real vote is not rounded up to evidence",
          "[review]") {
  // PL 0.6, PD 0.3: "real" is said more often of bogus subjects than of real
  // ones, so a real vote must not raise the posterior.
  CHECK(update_posterior(0.5, Answer::kReal, 0.6, 0.3) == 0.5);
  CHECK(update_posterior(0.5, Answer::kBogus, 0.6, 0.3) == 0.5);
}

TEST_CASE("swap: a lopsided but honest volunteer is weighed by their learned rates", "[review]") {
  // Says "real" to nearly everything: a real vote is weak, a bogus vote strong.
  const double up = update_posterior(0.5, Answer::kReal, 0.95, 0.4);
  const double down = update_posterior(0.5, Answer::kBogus, 0.95, 0.4);
  CHECK(up == Approx(0.95 / (0.95 + 0.6)));
  CHECK(down == Approx(0.05 / (0.05 + 0.4)));
}

TEST_CASE("swap: the machine prior is clamped so a score alone is never certain", "[review]") {
  CHECK(machine_prior(1.0) == 0.98);
  CHECK(machine_prior(0.0) == 0.02);
  CHECK(machine_prior(0.63) == 0.63);
  CHECK(machine_prior(std::nan("")) == 0.5);
}

TEST_CASE("swap: vote weight is 1x for a newcomer, more for skill, 0 for chance", "[review]") {
  CHECK(relative_vote_weight(Skill()) == Approx(1.0));
  CHECK(relative_vote_weight(trained(20, 19, 20, 18)) > 2.0);
  CHECK(vote_weight(0.5, 0.5) == 0);
  CHECK(vote_weight(0.9, 0.9) > vote_weight(0.75, 0.75));
}

TEST_CASE("swap: describe_skill states rates, evidence, relative weight and why", "[review]") {
  const Skill s = trained(19, 17, 18, 15);  // PL 18.3/21 = 0.87, PD 16.3/20 = 0.82
  const std::string text = describe_skill(s);
  CHECK_THAT(text, Catch::Contains("about 9 in 10 real transients and 8 in 10 artefacts"));
  CHECK_THAT(text, Catch::Contains("from 37 training subjects"));
  char weight[32];
  std::snprintf(weight, sizeof weight, "count %.1f\u00d7 a newcomer's", relative_vote_weight(s));
  CHECK_THAT(text, Catch::Contains(weight));
  CHECK_THAT(text, Catch::Contains("nobody is excluded"));
}

TEST_CASE("swap: describe_skill tells a newcomer their votes count like anyone's", "[review]") {
  CHECK_THAT(describe_skill(Skill()), Catch::Contains("count the same as any newcomer's"));
}

TEST_CASE(
    "swap: describe_skill tells an inverted volunteer why their votes do not move "
    "candidates, without excluding them",
    "[review]") {
  const std::string text = describe_skill(trained(20, 4, 20, 5));
  CHECK_THAT(text, Catch::Contains("do not move candidates either way"));
  CHECK_THAT(text, Catch::Contains("nobody is excluded"));
}

TEST_CASE("swap: answers round-trip through their names", "[review]") {
  for (Answer a : {Answer::kReal, Answer::kBogus, Answer::kOdd})
    CHECK(parse_answer(answer_name(a)) == a);
  CHECK_FALSE(parse_answer("maybe").has_value());
}
