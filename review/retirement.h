// When a subject leaves the volunteers' queue, and why: its posterior crossed
// a threshold, it used up its votes, or a skilled volunteer called it odd and
// it goes to the operators instead. Pure functions of values passed in.
#pragma once

#include <string>
#include <string_view>

#include "status.h"
#include "swap.h"

namespace blink::review {

struct RetirementPolicy {
  double real_threshold = 0.99;   // posterior >= this -> retired real
  double bogus_threshold = 0.01;  // posterior <= this -> retired bogus
  int max_votes = 15;             // votes (odd ones included) before giving up
  // "Skilled", for escalating odd votes: at least this many training subjects
  // answered real/bogus, and both PL and PD at least odd_escalation_skill.
  int odd_escalation_min_training = 10;
  double odd_escalation_skill = 0.8;
};

// Thresholds inside (0, 1) with bogus < real, max_votes >= 1.
Status validate(const RetirementPolicy& policy);

// Whether an "odd" vote from this volunteer is trusted enough to escalate.
bool is_skilled(const Skill& skill, const RetirementPolicy& policy);

enum class Decision {
  kContinue,         // stays in the queue
  kRetireReal,       // posterior >= real_threshold
  kRetireBogus,      // posterior <= bogus_threshold
  kRetireUndecided,  // max_votes reached without either
  kEscalate,         // odd vote from a skilled volunteer: to the operators
};

std::string_view decision_name(Decision decision);  // "continue", "retire_real", ...

struct RetirementDecision {
  Decision decision;
  std::string reason;  // e.g. "posterior 0.993 >= real_threshold 0.990 after 4 votes"
};

// Called after each vote, with the posterior already updated by that vote,
// votes_so_far counting it, and the voter's answer and skill. An escalation
// takes precedence over retiring, and both over the vote limit.
RetirementDecision decide(double posterior, int votes_so_far, Answer answer, const Skill& voter,
                          const RetirementPolicy& policy = {});

}  // namespace blink::review
