#include "retirement.h"

#include <cstdarg>
#include <cstdio>

namespace blink::review {

Status validate(const RetirementPolicy& p) {
  if (!(p.bogus_threshold > 0 && p.real_threshold < 1 && p.bogus_threshold < p.real_threshold))
    return Status::invalid("need 0 < bogus_threshold < real_threshold < 1");
  if (p.max_votes < 1) return Status::invalid("max_votes must be at least 1");
  if (p.odd_escalation_min_training < 0) return Status::invalid("odd_escalation_min_training < 0");
  return Status::ok();
}

bool is_skilled(const Skill& skill, const RetirementPolicy& policy) {
  return skill.training_subjects() >= policy.odd_escalation_min_training &&
         skill.p_real() >= policy.odd_escalation_skill &&
         skill.p_bogus() >= policy.odd_escalation_skill;
}

std::string_view decision_name(Decision decision) {
  switch (decision) {
    case Decision::kContinue:
      return "continue";
    case Decision::kRetireReal:
      return "retire_real";
    case Decision::kRetireBogus:
      return "retire_bogus";
    case Decision::kRetireUndecided:
      return "retire_undecided";
    case Decision::kEscalate:
      return "escalate";
  }
  return "continue";
}

namespace {

__attribute__((format(printf, 1, 2))) std::string printf_string(const char* fmt, ...) {
  char buf[200];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, args);
  va_end(args);
  return buf;
}

const char* plural(int n) { return n == 1 ? "" : "s"; }

}  // namespace

RetirementDecision decide(double posterior, int votes_so_far, Answer answer, const Skill& voter,
                          const RetirementPolicy& policy) {
  if (answer == Answer::kOdd && is_skilled(voter, policy)) {
    return {Decision::kEscalate,
            printf_string("odd vote from a skilled volunteer (PL %.2f, PD %.2f, %d training "
                          "subjects)",
                          voter.p_real(), voter.p_bogus(), voter.training_subjects())};
  }
  // NaN compares false to both thresholds and so never retires by threshold.
  if (posterior >= policy.real_threshold) {
    return {Decision::kRetireReal,
            printf_string("posterior %.3f >= real_threshold %.3f after %d vote%s", posterior,
                          policy.real_threshold, votes_so_far, plural(votes_so_far))};
  }
  if (posterior <= policy.bogus_threshold) {
    return {Decision::kRetireBogus,
            printf_string("posterior %.3f <= bogus_threshold %.3f after %d vote%s", posterior,
                          policy.bogus_threshold, votes_so_far, plural(votes_so_far))};
  }
  if (votes_so_far >= policy.max_votes) {
    return {Decision::kRetireUndecided,
            printf_string("posterior %.3f undecided after %d votes (max_votes %d)", posterior,
                          votes_so_far, policy.max_votes)};
  }
  return {Decision::kContinue, printf_string("posterior %.3f between thresholds after %d vote%s",
                                             posterior, votes_so_far, plural(votes_so_far))};
}

}  // namespace blink::review
