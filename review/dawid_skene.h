// Dawid & Skene (1979), "Maximum likelihood estimation of observer error-rates
// using the EM algorithm": the truth of every subject and the confusion
// matrix of every volunteer estimated together from one batch of votes, with
// no gold standard. A night's check on the online SWAP estimates. Binary
// (real/bogus); odd votes are ignored. Pure; allocates only its result.
// Unlike SWAP's retirement, a volunteer who answers inverted is read
// inverted here: this is a statistical check of the night, not a vote count.
#pragma once

#include <vector>

#include "status.h"
#include "swap.h"

namespace blink::review {

struct DawidSkeneVote {
  int subject = 0;    // index in [0, n_subjects)
  int volunteer = 0;  // index in [0, n_volunteers)
  Answer answer = Answer::kOdd;
};

struct DawidSkeneOptions {
  int max_iterations = 200;
  double tolerance = 1e-6;  // converged when no P(real) moves more than this
  // Beta pseudo-counts on every confusion rate (as in SWAP) and one
  // pseudo-subject of each class on the class prior: they keep volunteers
  // with a single vote, and nights with one class, away from 0 and 1.
  SkillPrior rate_prior = {0.65, 2.0};
};

struct DawidSkeneVolunteer {
  double p_real = 0;   // PL = P(says real | real)
  double p_bogus = 0;  // PD = P(says bogus | bogus)
  int votes = 0;       // real/bogus votes used
};

struct DawidSkeneResult {
  std::vector<double> p_real;  // per subject; the class prior if it has no votes
  std::vector<DawidSkeneVolunteer> volunteers;
  double class_prior = 0.5;  // P(real) over subjects with votes
  int iterations = 0;
  bool converged = false;
};

// EM started from the (soft) majority vote. Invalid if an index is out of
// range or a count is negative.
Result<DawidSkeneResult> dawid_skene(const std::vector<DawidSkeneVote>& votes, int n_subjects,
                                     int n_volunteers, const DawidSkeneOptions& options = {});

}  // namespace blink::review
