// The volunteer review's state: volunteers, subjects, votes and discoverers
// in SQLite (tables described in store.cc, which owns the schema), and the
// leases in memory.
// This is the only code that reads or writes those tables. A vote and all
// it changes (the subject's posterior and state, the volunteer's skill,
// credits) commit in one transaction, so a crash never keeps half a vote.
#pragma once

#include <sqlite3.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "status.h"
#include "store.h"

namespace blink {

struct VolunteerRow {
  int64_t id = 0;
  std::string display_name;
  double joined_unix = 0;
  bool deleted = false;
  // SWAP confusion counts, from training subjects (and retired consensus).
  double real_seen = 0, real_said_real = 0, bogus_seen = 0, bogus_said_bogus = 0;
  int training_seen = 0;
  int classifications = 0;
};

// A subject and the candidate behind it.
struct SubjectRow {
  std::string candidate_id;
  double created_unix = 0, prior = 0.5, posterior = 0.5;
  int n_votes = 0;
  std::string state = "open";  // open | retired | escalated
  std::string verdict;         // real | bogus | undecided once retired
  bool training = false;
  std::string truth, truth_note;
  bool anomalous = false;
  CandidateRow candidate;
};

// One vote as the volunteer sees it on their page.
struct HistoryRow {
  int64_t volunteer_id = 0;
  std::string candidate_id, answer, comment;
  double voted_unix = 0;
  bool training = false;
  std::optional<bool> correct;  // training subjects only
  std::string truth, truth_note;
  std::string subject_state, verdict;
  double weight = 0;
};

struct DiscoveryRow {
  std::string candidate_id;
  int rank = 0;  // 1 = the first to say "real"
  double credited_unix = 0;
  double ra = 0, dec = 0, mjd_obs = 0, mag = 0;
  std::string field, band;
};

// A vote, for the Zooniverse-style export and the night report.
struct ExportedVote {
  int64_t vote_id = 0, volunteer_id = 0;
  std::string display_name;  // "" once the volunteer deleted their account
  std::string candidate_id, answer, comment;
  double voted_unix = 0;
  bool training = false;
  std::string truth, subject_state, verdict;
  double posterior_after = 0, weight = 0;
  CandidateRow candidate;
};

// What the service decides a vote changes, computed inside the transaction
// from the subject and volunteer as they are at that moment.
struct VoteEffects {
  std::optional<bool> correct;  // training subjects: was the answer the truth
  double posterior_after = 0.5;
  double weight = 0;  // how far this vote moved the log-odds, for the page
  std::string new_state = "open";
  std::string verdict;  // set when the subject retires
  std::string reason;   // why it retired or was escalated, in words
  // Added to the volunteer's confusion counts.
  double d_real_seen = 0, d_real_said_real = 0, d_bogus_seen = 0, d_bogus_said_bogus = 0;
  bool counts_as_training = false;
  // A retirement teaches the earlier voters too (SWAP's learning from
  // consensus): what to add to each one's counts.
  struct SkillDelta {
    int64_t volunteer_id = 0;
    double real_seen = 0, real_said_real = 0, bogus_seen = 0, bogus_said_bogus = 0;
  };
  std::vector<SkillDelta> consensus;
  std::vector<int64_t> discoverers;  // credited in this order when it retires real
};

using DecideVote =
    std::function<VoteEffects(const SubjectRow& subject, const VolunteerRow& volunteer,
                              const std::vector<HistoryRow>& earlier_votes)>;

struct QueueStats {
  int open_subjects = 0;        // waiting for votes (training subjects excluded)
  double oldest_open_unix = 0;  // 0 when none
  int active_volunteers = 0;    // voted in the last `active_window_s`
  int64_t votes = 0, retired = 0, escalated = 0;
};

// Thread-safe: one writing connection behind a mutex, and a few read-only
// connections lent out one per call, so that reads (most of the API's work)
// run side by side and never wait for a write's fsync (WAL mode).
class ReviewStore {
 public:
  // Opens the database SqliteStore created (schema version 2 or later).
  static Result<std::unique_ptr<ReviewStore>> open(const std::string& path);
  ~ReviewStore();

  Result<int64_t> add_volunteer(const std::string& display_name, const std::string& token_hash,
                                double now);
  // nullopt when no active volunteer has this token hash.
  Result<std::optional<VolunteerRow>> volunteer_by_token(const std::string& token_hash);
  Result<VolunteerRow> volunteer(int64_t volunteer_id);
  // Keeps the votes, forgets the name and the token.
  Status delete_volunteer(int64_t volunteer_id, double now);

  // The subject this volunteer holds an unexpired lease on, if it is still
  // open and they have not voted on it.
  Result<std::optional<std::string>> current_lease(int64_t volunteer_id, double now);
  // Leases (one per volunteer; voting ends it) are hints of who is looking at
  // what, so they are kept in memory, not in the database: `next` then never
  // waits behind a vote's commit, and a restart merely forgets them (a
  // reloaded page shows another subject).
  Status lease(int64_t volunteer_id, const std::string& candidate_id, double expires_unix);
  // Open subjects (training or not) the volunteer has not voted on, with the
  // number of other volunteers' unexpired leases; newest first, at most
  // `limit`. Only what the queue ranks by: subject() reads the one chosen.
  struct Offer {
    std::string candidate_id;
    double created_unix = 0, posterior = 0.5;
    int n_votes = 0;
    bool anomalous = false;
    int leased_by_others = 0;
  };
  Result<std::vector<Offer>> offers_for(int64_t volunteer_id, bool training, int limit, double now);
  Result<std::optional<SubjectRow>> subject(const std::string& candidate_id);
  // Whether this volunteer already voted on the subject.
  Result<bool> has_voted(int64_t volunteer_id, const std::string& candidate_id);

  // Records a vote: kInvalidArgument when this volunteer already voted on
  // it, kNotFound when there is no such subject or it is no longer open.
  Result<VoteEffects> record_vote(int64_t volunteer_id, const std::string& candidate_id,
                                  const std::string& answer, const std::string& comment, double now,
                                  const DecideVote& decide);

  Result<std::vector<HistoryRow>> history(int64_t volunteer_id, int limit);
  Result<std::vector<DiscoveryRow>> discoveries(int64_t volunteer_id);
  // Votes cast in [from_unix, to_unix), oldest first.
  Result<std::vector<ExportedVote>> votes_between(double from_unix, double to_unix);
  Result<QueueStats> queue_stats(double now, double active_window_s);

 private:
  ReviewStore() = default;
  class Reader;  // a read-only connection borrowed for one call

  std::mutex write_mutex_;
  sqlite3* writer_ = nullptr;
  std::mutex readers_mutex_;
  std::condition_variable reader_returned_;
  std::vector<sqlite3*> readers_;       // all of them, closed by the destructor
  std::vector<sqlite3*> idle_readers_;  // those not lent out

  struct Lease {
    std::string candidate_id;
    double expires_unix = 0;
  };
  std::mutex leases_mutex_;
  std::unordered_map<int64_t, Lease> leases_;  // by volunteer
};

}  // namespace blink
