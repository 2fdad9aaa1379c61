// A simulated night of volunteer review, for review_bench: candidates in the
// review band arrive through the night, volunteers of mixed skill arrive in
// random sessions, and a review method (fixed-redundancy majority vote, or
// SWAP with retirement) decides what each volunteer sees and when a subject
// is done. The same seed gives the same candidates, the same volunteers and
// the same sessions for every method; only what they are shown differs.
// Several nights in a row share one volunteer population (with churn), and
// each volunteer carries their state from night to night as blinkd keeps it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dawid_skene.h"
#include "queue_priority.h"
#include "retirement.h"
#include "swap.h"
#include "training_rate.h"

namespace blink::bench {

struct NightConfig {
  uint64_t seed = 1;
  // Candidates: machine scores are logistic(N(+-separation/2, sigma)) kept in
  // the router's review band [review_low, review_high): weakly informative.
  int subjects = 2000;
  double real_fraction = 0.3;
  double machine_separation = 1.0;
  double machine_sigma = 1.0;
  double review_low = 0.2, review_high = 0.8;
  double anomaly_fraction = 0.01;  // flagged by the pipeline as unusual
  // Volunteers: shares of experts and average ones, the rest "bad" (careless
  // or adversarial); each true rate is the kind's skill +- skill_jitter.
  int volunteers = 300;
  double expert_share = 0.2, average_share = 0.6;
  double expert_skill = 0.95, average_skill = 0.75, bad_skill = 0.5;
  double skill_jitter = 0.03;
  double odd_rate = 0.01;         // "something odd" on an ordinary subject
  double anomaly_odd_rate = 0.3;  // ... on an anomalous one
  // Time: candidates arrive evenly over night_hours; volunteers classify at
  // a steady rate in sessions of geometric length (training included).
  double night_hours = 8;
  double classifications_per_hour = 2000;
  double session_mean = 20;
  long max_classifications = 0;  // 0: 30 per subject
  double training_real_fraction = 0.5;
};

struct SimSubject {
  bool real = false;
  bool anomaly = false;
  double score = 0.5;  // machine real/bogus score
  double arrival_hours = 0;
};

struct SimVolunteer {
  double p_real = 0, p_bogus = 0;  // true rates
  std::string kind;                // "expert", "average", "careless", "adversarial"
};

// The candidates and volunteers of one night, shared by every method.
struct Night {
  NightConfig config;
  std::vector<SimSubject> subjects;  // sorted by arrival
  std::vector<SimVolunteer> volunteers;
};
Night make_night(const NightConfig& config);

// Night `index` (2, 3, ...) of a run that began with make_night(config):
// fresh candidates and sessions from a seed of its own, and `returning`, the
// previous night's volunteers, each replaced with probability `churn` by a
// newcomer drawn from the same mix of kinds. `replaced` receives the indices
// of the newcomers, whose carried state the caller must reset.
Night next_night(const NightConfig& config, int index, const std::vector<SimVolunteer>& returning,
                 double churn, std::vector<int>& replaced);

// What each volunteer carries from one night to the next, indexed like
// Night::volunteers. It mirrors blinkd's volunteers table: the confusion
// counts behind the SWAP skill, and the number of classifications made so
// far, which sets the training share (training_rate.h). Majority vote uses
// only the classifications.
struct VolunteerState {
  VolunteerState(size_t volunteers, review::SkillPrior prior);
  void make_newcomer(size_t volunteer);  // someone new took this place

  review::SkillPrior prior;
  std::vector<review::Skill> skills;
  std::vector<int> classifications;  // training included, every night so far
};

// How one method ended the night for one subject.
enum class Outcome { kOpen, kReal, kBogus, kUndecided, kEscalated };
struct SubjectResult {
  Outcome outcome = Outcome::kOpen;
  bool label_real = false;         // the method's final call, decided or not
  int votes = 0;                   // odd ones included
  std::vector<double> trajectory;  // SWAP posterior: prior, then after each vote
};

struct MethodRun {
  std::vector<SubjectResult> subjects;
  std::vector<review::DawidSkeneVote> votes;  // every non-training vote, in order
  std::vector<review::Skill> skills;          // SWAP's learned skills (empty otherwise)
  long classifications = 0;                   // training included
  long training = 0;
  long idle = 0;  // slots with nothing to show
};

// Fixed redundancy: every subject gets `votes_per_subject` classifications,
// fewest-votes-first; label by majority of real/bogus, ties by the machine.
// `state` comes in as the volunteers start the night and goes out as they end it.
MethodRun run_majority(const Night& night, int votes_per_subject,
                       const review::TrainingSchedule& schedule, VolunteerState& state);

struct SwapSettings {
  review::SwapConfig swap;
  review::RetirementPolicy policy;
  review::TrainingSchedule schedule;
  review::QueueWeights queue;
};
// SWAP: machine prior, skill-weighted Bayes per vote, skills learned online
// from training subjects and retired verdicts, queue by queue_priority().
// `state` comes in as the volunteers start the night and goes out as they end
// it; MethodRun::skills is a copy of the skills at the end.
MethodRun run_swap(const Night& night, const SwapSettings& settings, VolunteerState& state);

}  // namespace blink::bench
