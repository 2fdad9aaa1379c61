// Scores a night's candidates against the simulator's truth: completeness on
// injected transients and the causes of false candidates.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "candidate.h"
#include "survey.h"

namespace blink::bench {

// True changes on the sky; everything else in the truth is an artefact.
bool is_transient(const std::string& kind);
bool is_real_change(const std::string& kind);  // transients, variables, moving objects

struct ExposureScore {
  // Per injected transient: its truth row and whether a candidate matched it.
  std::vector<std::pair<sim::TruthRow, const Candidate*>> transients;
  int real_changes_found = 0;  // variables and moving objects matched
  int moving_found = 0;        // of which moving objects: real, but not transients
  std::map<std::string, int> false_by_cause;  // candidates matching no real change
  int false_total = 0;
  std::vector<double> false_real_bogus;  // the score of each false candidate
};

// What each candidate is, by the truth: the kind of the real change it is
// the nearest candidate to (within `radius` pixels), else the artefact it
// lies on, else "masked_edge", "bright_star_residual" or "other".
// score_exposure counts these.
std::vector<std::string> candidate_truth_kinds(const std::vector<Candidate>& candidates,
                                               const std::vector<sim::TruthRow>& truth,
                                               double radius = 2.0);

// A candidate within `radius` pixels of a truth row matches it.
ExposureScore score_exposure(const std::vector<Candidate>& candidates, const std::vector<sim::TruthRow>& truth,
                             double radius = 2.0);

}  // namespace blink::bench
