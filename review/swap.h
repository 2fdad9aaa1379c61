// SWAP, the Space Warps Analysis Pipeline (Marshall et al. 2016, MNRAS 455,
// 1171): each volunteer's skill is a 2x2 confusion matrix learned from
// subjects whose truth is known, and each vote updates a subject's
// probability of being real by Bayes' rule with that volunteer's skill.
//
// Everything here is pure and value-typed: no clocks, no storage, no locks.
// A Skill is a small value the caller owns and persists (counts()).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace blink::review {

// What a volunteer said about a subject. "Odd" means "something odd": it
// carries no real/bogus information, so it never moves a posterior or a skill.
enum class Answer { kReal, kBogus, kOdd };
// What a subject truly is (training subjects) or was retired as (consensus).
enum class Truth { kReal, kBogus };

std::string_view answer_name(Answer answer);  // "real", "bogus", "odd"
std::optional<Answer> parse_answer(std::string_view name);

// The Beta prior on each of P(says real | real) and P(says bogus | bogus), as
// `weight` pseudo-subjects answered right a `rate` share of the time. The
// default makes a newcomer mildly better than chance, and is forgotten after
// a handful of training subjects.
struct SkillPrior {
  double rate = 0.65;
  double weight = 2.0;
};

// The confusion matrix as (possibly fractional) counts, excluding the prior:
// what the caller stores per volunteer.
struct ConfusionCounts {
  double real_as_real = 0;    // truth real, answered real
  double real_as_bogus = 0;   // truth real, answered bogus
  double bogus_as_bogus = 0;  // truth bogus, answered bogus
  double bogus_as_real = 0;   // truth bogus, answered real
  int training_subjects = 0;  // full-weight (known-truth) real/bogus answers
};

// One volunteer's skill. A plain value: not synchronised, copy it freely.
class Skill {
 public:
  explicit Skill(SkillPrior prior = {}, ConfusionCounts counts = {});

  // Learns from one answer to a subject whose truth is known. Weight 1 is a
  // training (gold-standard) subject; a weight of 1 or more counts toward
  // training_subjects().
  // a fractional weight (SwapConfig::consensus_weight) is a subject retired by
  // consensus, whose "truth" is only probably right. Odd answers, and weights
  // that are not positive and finite, change nothing.
  void observe(Truth truth, Answer answer, double weight = 1.0);

  double p_real() const;   // PL = P(says real | real), posterior mean
  double p_bogus() const;  // PD = P(says bogus | bogus), posterior mean
  int training_subjects() const { return counts_.training_subjects; }
  const ConfusionCounts& counts() const { return counts_; }
  const SkillPrior& prior() const { return prior_; }

 private:
  SkillPrior prior_;
  ConfusionCounts counts_;
};

// Settings of the SWAP crowd model that the caller applies around Skill.
struct SwapConfig {
  SkillPrior prior;
  // Skill::observe weight for retired verdicts. A verdict retired at 0.99 is
  // right 99 times in 100, nearly a training subject; review_bench shows that
  // full weight retires in a median of 5 votes rather than 6 at a purity within
  // about a point of half weight.
  double consensus_weight = 1.0;
  double prior_floor = 0.02;      // machine score clamp, see machine_prior()
  double prior_ceiling = 0.98;
};

// The subject's starting probability from the machine's real/bogus score,
// clamped to [floor, ceiling] so that the machine alone can never reach a
// retirement threshold: at least one person must look. A NaN score is 0.5.
double machine_prior(double real_bogus_score, const SwapConfig& config = {});

// Bayes' rule for one vote: for "real"
//   p' = p PL / (p PL + (1-p)(1-PD)),
// for "bogus"
//   p' = p (1-PL) / (p (1-PL) + (1-p) PD),
// and p' = p for "odd". The likelihood ratio is floored at "no information":
// a real vote never lowers p and a bogus vote never raises it. A volunteer
// with PL + PD < 1 (answers inverted more often than not) is therefore
// ignored rather than trusted in reverse: we would rather waste a vote than
// let anyone steer a subject by answering wrongly on purpose, and nobody's
// vote ever counts against the side they chose. For PL + PD >= 1 the learned
// rates are used as they are, so a lopsided volunteer (e.g. says "real" to
// almost everything) is weighed honestly rather than rounded up.
double update_posterior(double prior, Answer answer, double p_real, double p_bogus);
double update_posterior(double prior, Answer answer, const Skill& skill);

// How far, on average, one vote moves a subject's log-odds (natural log), for
// a subject with even odds: E|log LR| over the answers this volunteer gives,
// with the floored likelihood ratios above. 0 for chance or inverted skill.
double vote_weight(double p_real, double p_bogus);
double vote_weight(const Skill& skill);
// vote_weight(skill) / vote_weight(a newcomer with `newcomer` prior).
double relative_vote_weight(const Skill& skill, const SkillPrior& newcomer = {});

// Plain English for the volunteer's own page: their rates, the evidence they
// rest on, how much their votes count relative to a newcomer's, and why.
std::string describe_skill(const Skill& skill, const SkillPrior& newcomer = {});

}  // namespace blink::review
