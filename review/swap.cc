#include "swap.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace blink::review {

std::string_view answer_name(Answer answer) {
  switch (answer) {
    case Answer::kReal:
      return "real";
    case Answer::kBogus:
      return "bogus";
    case Answer::kOdd:
      return "odd";
  }
  return "odd";
}

std::optional<Answer> parse_answer(std::string_view name) {
  if (name == "real") return Answer::kReal;
  if (name == "bogus") return Answer::kBogus;
  if (name == "odd") return Answer::kOdd;
  return std::nullopt;
}

Skill::Skill(SkillPrior prior, ConfusionCounts counts) : prior_(prior), counts_(counts) {}

void Skill::observe(Truth truth, Answer answer, double weight) {
  if (answer == Answer::kOdd || !(weight > 0) || !std::isfinite(weight)) return;
  const bool said_real = answer == Answer::kReal;
  if (truth == Truth::kReal) {
    (said_real ? counts_.real_as_real : counts_.real_as_bogus) += weight;
  } else {
    (said_real ? counts_.bogus_as_real : counts_.bogus_as_bogus) += weight;
  }
  if (weight >= 1.0) ++counts_.training_subjects;
}

double Skill::p_real() const {
  const double right = counts_.real_as_real + prior_.rate * prior_.weight;
  return right / (counts_.real_as_real + counts_.real_as_bogus + prior_.weight);
}

double Skill::p_bogus() const {
  const double right = counts_.bogus_as_bogus + prior_.rate * prior_.weight;
  return right / (counts_.bogus_as_bogus + counts_.bogus_as_real + prior_.weight);
}

double machine_prior(double real_bogus_score, const SwapConfig& config) {
  if (std::isnan(real_bogus_score)) return 0.5;
  return std::clamp(real_bogus_score, config.prior_floor, config.prior_ceiling);
}

namespace {

// Likelihood ratios P(answer | real) / P(answer | bogus), floored at no
// information (see update_posterior in the header for why).
double real_vote_ratio(double pl, double pd) {
  return std::max(1.0, pl / std::max(1.0 - pd, 1e-12));
}
double bogus_vote_ratio(double pl, double pd) {
  return std::min(1.0, (1.0 - pl) / std::max(pd, 1e-12));
}

}  // namespace

double update_posterior(double prior, Answer answer, double p_real, double p_bogus) {
  if (answer == Answer::kOdd) return prior;
  const double ratio = answer == Answer::kReal ? real_vote_ratio(p_real, p_bogus)
                                               : bogus_vote_ratio(p_real, p_bogus);
  // The header's formulas divided through by the bogus-side likelihood.
  return prior * ratio / (prior * ratio + (1.0 - prior));
}

double update_posterior(double prior, Answer answer, const Skill& skill) {
  return update_posterior(prior, answer, skill.p_real(), skill.p_bogus());
}

double vote_weight(double p_real, double p_bogus) {
  // At even odds the volunteer says "real" with probability (PL + 1 - PD) / 2.
  const double says_real = 0.5 * (p_real + 1.0 - p_bogus);
  return says_real * std::log(real_vote_ratio(p_real, p_bogus)) +
         (1.0 - says_real) * -std::log(bogus_vote_ratio(p_real, p_bogus));
}

double vote_weight(const Skill& skill) { return vote_weight(skill.p_real(), skill.p_bogus()); }

double relative_vote_weight(const Skill& skill, const SkillPrior& newcomer) {
  const double base = vote_weight(newcomer.rate, newcomer.rate);
  return base > 0 ? vote_weight(skill) / base : 0.0;
}

std::string describe_skill(const Skill& skill, const SkillPrior& newcomer) {
  const int n = skill.training_subjects();
  const ConfusionCounts& c = skill.counts();
  const double evidence = c.real_as_real + c.real_as_bogus + c.bogus_as_bogus + c.bogus_as_real;
  const std::string why =
      " Votes from volunteers who are right more often on training subjects move a "
      "candidate's probability further; nobody is excluded, and every vote is kept.";
  if (evidence <= 0) {
    return "You have not classified any training subjects yet, so your votes count the same as "
           "any newcomer's. Training subjects are candidates whose answer we already know; they "
           "show up now and then so we can learn how your eye works." +
           why;
  }
  const auto in_ten = [](double p) { return int(std::lround(std::clamp(p, 0.0, 1.0) * 10)); };
  const std::string source =
      n > 0 ? "from " + std::to_string(n) + " training subject" + (n == 1 ? "" : "s")
            : "from candidates the crowd has already decided";
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "You spot about %d in 10 real transients and %d in 10 artefacts (%s). Your votes "
                "currently count %.1f\u00d7 a newcomer's.",
                in_ten(skill.p_real()), in_ten(skill.p_bogus()), source.c_str(),
                relative_vote_weight(skill, newcomer));
  std::string text = buf;
  if (skill.p_real() + skill.p_bogus() < 1.0) {
    // Inverted volunteers get no weight; say so kindly and point to the fix.
    text +=
        " On training subjects your answers have more often been the opposite of the known "
        "one, so for now your votes do not move candidates either way; the tutorial examples "
        "may help, and your weight grows back as your answers match.";
  }
  return text + why;
}

}  // namespace blink::review
