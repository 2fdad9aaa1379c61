// The volunteer review service: sign-up, the queue (what to show whom next),
// classifications and what they change (SWAP skill, posterior, retirement,
// credit), verdicts published on `candidate.verdict`, each volunteer's own
// page, and the cutout PNGs. The logic is review/'s; this wires it to the
// ReviewStore, the publisher and the metrics. Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>

#include "clock.h"
#include "cutout_cache.h"
#include "metrics.h"
#include "publisher.h"
#include "retirement.h"
#include "review_store.h"
#include "store.h"
#include "swap.h"

namespace blink {

using review::Answer;
using review::parse_answer;

enum class CutoutKind { kScience, kReference, kDifference };

// The [review] settings; swapped whole on reload.
struct ReviewSettings {
  review::RetirementPolicy retirement;
  double lease_seconds = 1800;
  double consensus_weight = 1.0;  // a retired verdict, as a share of a training subject
  double training_rate_initial = 0.5;
  double training_rate_floor = 0.05;
  double training_rate_half_life = 20;
  double active_window_seconds = 900;  // "active volunteers" voted this recently
};

struct Signup {
  int64_t volunteer_id = 0;
  std::string display_name;
  std::string token;  // shown once; only its hash is stored
};

class VolunteerService {
 public:
  // None owned; all outlive the service. `metrics` may be null (tests).
  VolunteerService(ReviewStore& reviews, Store& store, CandidateSink& sink, Metrics* metrics,
                   ReviewSettings settings, std::function<double()> now = unix_now);

  void set_settings(ReviewSettings settings);
  ReviewSettings settings() const;

  Result<Signup> sign_up(const std::string& display_name);
  // nullopt when the token matches no active volunteer.
  Result<std::optional<VolunteerRow>> authenticate(const std::string& token);
  // {"subject": {...}} or {"subject": null, "message": ...}
  // `skipped`: subjects the volunteer passed over on this visit; not offered again
  // (skipping costs nothing: it is not a vote and nobody is told).
  Result<nlohmann::ordered_json> next(const VolunteerRow& volunteer,
                                      const std::set<std::string>& skipped = {});
  // {"recorded": true, "feedback": ..., "skill": ...}. kInvalidArgument when
  // already classified; kNotFound when not in the queue or retired.
  Result<nlohmann::ordered_json> classify(const VolunteerRow& volunteer,
                                          const std::string& candidate_id, Answer answer,
                                          const std::string& comment);
  Result<nlohmann::ordered_json> me(const VolunteerRow& volunteer);
  Status delete_account(const VolunteerRow& volunteer);
  // The same for an operator handling an erasure request; kNotFound when no such volunteer.
  Status erase_volunteer(int64_t volunteer_id);
  // Drawn once per candidate and kind, then served from a cache.
  Result<std::string> cutout_png(const std::string& candidate_id, CutoutKind kind);

  // Votes cast in [from, to), for the export and the night report.
  Result<std::vector<ExportedVote>> votes_between(double from_unix, double to_unix) {
    return reviews_.votes_between(from_unix, to_unix);
  }

  // Queue depth, oldest subject's age and active volunteers, into the metrics.
  void refresh_metrics();

 private:
  VoteEffects decide(const SubjectRow& subject, const VolunteerRow& volunteer,
                     const std::vector<HistoryRow>& earlier, Answer answer,
                     const ReviewSettings& settings) const;
  void publish_verdict(const SubjectRow& subject, const VoteEffects& effects, double now);
  nlohmann::ordered_json subject_json(const SubjectRow& subject) const;

  ReviewStore& reviews_;
  Store& store_;
  CandidateSink& sink_;
  Metrics* metrics_;
  std::function<double()> now_;  // unix seconds; tests move time by hand
  mutable std::mutex settings_mutex_;
  ReviewSettings settings_;
  CutoutCache cutouts_;
};

// The volunteer's SWAP skill from their stored confusion counts.
review::Skill skill_of(const VolunteerRow& volunteer);

}  // namespace blink
