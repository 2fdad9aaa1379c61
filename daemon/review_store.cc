#include "review_store.h"

#include <unordered_map>

#include "sqlite_util.h"
#include "store_rows.h"

namespace blink {
namespace {

// Read-only connections: as many as the HTTP server has threads, so a
// request never waits for another's read.
constexpr int kReadConnections = 8;

constexpr const char* kSubjectColumns =
    "s.candidate_id, s.created_unix, s.prior, s.posterior, s.n_votes, s.state, s.verdict, "
    "s.training, s.truth, s.truth_note, s.anomalous";
constexpr int kSubjectColumnCount = 11;

// SELECT <subject>, <candidate row> FROM subjects s JOIN candidates c JOIN exposures e
std::string subject_select() {
  return std::string("SELECT ") + kSubjectColumns + ", " + kCandidateRowColumns +
         " FROM subjects s JOIN candidates c ON c.candidate_id = s.candidate_id"
         " JOIN exposures e ON e.exposure_id = c.exposure_id ";
}

SubjectRow read_subject(const Stmt& q) {
  SubjectRow s;
  s.candidate_id = q.text(0);
  s.created_unix = q.real(1);
  s.prior = q.real(2);
  s.posterior = q.real(3);
  s.n_votes = int(q.integer(4));
  s.state = q.text(5);
  s.verdict = q.text(6);
  s.training = q.integer(7) != 0;
  s.truth = q.text(8);
  s.truth_note = q.text(9);
  s.anomalous = q.integer(10) != 0;
  s.candidate = read_candidate_row(q, kSubjectColumnCount);
  return s;
}

constexpr const char* kVolunteerColumns =
    "volunteer_id, display_name, joined_unix, deleted_unix, real_seen, real_said_real, "
    "bogus_seen, bogus_said_bogus, training_seen, classifications";

VolunteerRow read_volunteer(const Stmt& q) {
  VolunteerRow v;
  v.id = q.integer(0);
  v.display_name = q.text(1);
  v.joined_unix = q.real(2);
  v.deleted = !q.is_null(3);
  v.real_seen = q.real(4);
  v.real_said_real = q.real(5);
  v.bogus_seen = q.real(6);
  v.bogus_said_bogus = q.real(7);
  v.training_seen = int(q.integer(8));
  v.classifications = int(q.integer(9));
  return v;
}

Result<VolunteerRow> load_volunteer(sqlite3* db, int64_t id) {
  Stmt q(db,
         (std::string("SELECT ") + kVolunteerColumns + " FROM volunteers WHERE volunteer_id = ?")
             .c_str());
  q.bind(id);
  if (q.step()) return read_volunteer(q);
  if (!q.status()) return q.status().with_context("reading volunteer " + std::to_string(id));
  return Status::not_found("no volunteer " + std::to_string(id));
}

constexpr const char* kHistoryColumns =
    "v.candidate_id, v.answer, v.comment, v.voted_unix, v.training, v.correct, s.truth, "
    "s.truth_note, s.state, s.verdict, v.weight";

HistoryRow read_history(const Stmt& q) {
  HistoryRow h;
  h.candidate_id = q.text(0);
  h.answer = q.text(1);
  h.comment = q.text(2);
  h.voted_unix = q.real(3);
  h.training = q.integer(4) != 0;
  if (!q.is_null(5)) h.correct = q.integer(5) != 0;
  if (h.training && h.correct) {  // the truth is told only after answering
    h.truth = q.text(6);
    h.truth_note = q.text(7);
  }
  h.subject_state = q.text(8);
  h.verdict = q.text(9);
  h.weight = q.real(10);
  return h;
}

}  // namespace

// Borrows an idle read-only connection for its lifetime, waiting for one
// when all are lent out.
class ReviewStore::Reader {
 public:
  explicit Reader(ReviewStore& store) : store_(store) {
    std::unique_lock lock(store_.readers_mutex_);
    store_.reader_returned_.wait(lock, [&] { return !store_.idle_readers_.empty(); });
    db_ = store_.idle_readers_.back();
    store_.idle_readers_.pop_back();
  }
  ~Reader() {
    {
      std::lock_guard lock(store_.readers_mutex_);
      store_.idle_readers_.push_back(db_);
    }
    store_.reader_returned_.notify_one();
  }
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;
  sqlite3* db() const { return db_; }

 private:
  ReviewStore& store_;
  sqlite3* db_ = nullptr;
};

Result<std::unique_ptr<ReviewStore>> ReviewStore::open(const std::string& path) {
  std::unique_ptr<ReviewStore> store(new ReviewStore());
  auto writer = open_connection(path, false);
  if (!writer) return writer.status();
  store->writer_ = *writer;
  if (Status s = exec(store->writer_, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON"); !s)
    return s.with_context("configuring " + path);
  {
    Stmt q(store->writer_, "SELECT MAX(version) FROM schema_version");
    if (!q.step() || q.integer(0) < 2)
      return Status::invalid(path + " has no review tables (open it with SqliteStore first)");
  }
  for (int i = 0; i < kReadConnections; ++i) {
    auto reader = open_connection(path, true);
    if (!reader) return reader.status();
    store->readers_.push_back(*reader);
  }
  store->idle_readers_ = store->readers_;
  return store;
}

ReviewStore::~ReviewStore() {
  for (sqlite3* reader : readers_) sqlite3_close_v2(reader);
  sqlite3_close_v2(writer_);
}

Result<int64_t> ReviewStore::add_volunteer(const std::string& display_name,
                                           const std::string& token_hash, double now) {
  std::lock_guard lock(write_mutex_);
  Stmt q(writer_,
         "INSERT INTO volunteers (display_name, token_hash, joined_unix, last_active_unix) "
         "VALUES (?, ?, ?, ?)");
  if (Status s = q.bind(display_name).bind(token_hash).bind(now).bind(now).run(); !s)
    return s.with_context("adding volunteer");
  return int64_t(sqlite3_last_insert_rowid(writer_));
}

Result<std::optional<VolunteerRow>> ReviewStore::volunteer_by_token(const std::string& token_hash) {
  Reader reader(*this);
  Stmt q(reader.db(), (std::string("SELECT ") + kVolunteerColumns +
                       " FROM volunteers WHERE token_hash = ? AND deleted_unix IS NULL")
                          .c_str());
  q.bind(token_hash);
  if (q.step()) return std::optional<VolunteerRow>(read_volunteer(q));
  if (!q.status()) return q.status().with_context("looking up a token");
  return std::optional<VolunteerRow>();
}

Result<VolunteerRow> ReviewStore::volunteer(int64_t volunteer_id) {
  Reader reader(*this);
  return load_volunteer(reader.db(), volunteer_id);
}

Status ReviewStore::delete_volunteer(int64_t volunteer_id, double now) {
  std::lock_guard lock(write_mutex_);
  Transaction tx(writer_);
  if (!tx.status()) return tx.status();
  Stmt q(writer_,
         "UPDATE volunteers SET display_name = '', token_hash = NULL, deleted_unix = ? "
         "WHERE volunteer_id = ? AND deleted_unix IS NULL");
  if (Status s = q.bind(now).bind(volunteer_id).run(); !s)
    return s.with_context("deleting volunteer " + std::to_string(volunteer_id));
  if (sqlite3_changes(writer_) != 1)
    return Status::not_found("no volunteer " + std::to_string(volunteer_id));
  if (Status s = tx.commit(); !s) return s;
  std::lock_guard leases(leases_mutex_);
  leases_.erase(volunteer_id);
  return Status::ok();
}

Result<std::optional<std::string>> ReviewStore::current_lease(int64_t volunteer_id, double now) {
  std::string candidate_id;
  {
    std::lock_guard lock(leases_mutex_);
    auto it = leases_.find(volunteer_id);
    if (it == leases_.end() || !(it->second.expires_unix > now))
      return std::optional<std::string>();
    candidate_id = it->second.candidate_id;
  }
  // Still worth showing: open, and not voted on by them (from another tab).
  Reader reader(*this);
  Stmt q(reader.db(),
         "SELECT 1 FROM subjects s WHERE s.candidate_id = ? AND s.state = 'open' AND NOT EXISTS "
         "(SELECT 1 FROM votes v WHERE v.candidate_id = s.candidate_id AND v.volunteer_id = ?)");
  q.bind(candidate_id).bind(volunteer_id);
  if (q.step()) return std::optional<std::string>(candidate_id);
  if (!q.status()) return q.status().with_context("reading a lease");
  return std::optional<std::string>();
}

Status ReviewStore::lease(int64_t volunteer_id, const std::string& candidate_id,
                          double expires_unix) {
  std::lock_guard lock(leases_mutex_);
  leases_[volunteer_id] = {candidate_id, expires_unix};
  return Status::ok();
}

Result<std::vector<ReviewStore::Offer>> ReviewStore::offers_for(int64_t volunteer_id, bool training,
                                                                int limit, double now) {
  // Other volunteers' live leases (at most one each); expired ones are
  // dropped on the way, so the map stays as small as the live crowd.
  std::unordered_map<std::string, int> leased;
  {
    std::lock_guard lock(leases_mutex_);
    for (auto it = leases_.begin(); it != leases_.end();) {
      if (!(it->second.expires_unix > now)) {
        it = leases_.erase(it);
        continue;
      }
      if (it->first != volunteer_id) ++leased[it->second.candidate_id];
      ++it;
    }
  }
  Reader reader(*this);
  // The joins keep to subjects whose candidate can be shown, as subject() does.
  Stmt q(reader.db(),
         "SELECT s.candidate_id, s.created_unix, s.posterior, s.n_votes, s.anomalous"
         " FROM subjects s JOIN candidates c ON c.candidate_id = s.candidate_id"
         " JOIN exposures e ON e.exposure_id = c.exposure_id"
         " WHERE s.state = 'open' AND s.training = ? AND NOT EXISTS (SELECT 1 FROM votes v WHERE "
         "v.candidate_id = s.candidate_id AND v.volunteer_id = ?) "
         "ORDER BY s.created_unix DESC LIMIT ?");
  q.bind(training).bind(volunteer_id).bind(limit);
  std::vector<Offer> offers;
  while (q.step()) {
    Offer o;
    o.candidate_id = q.text(0);
    o.created_unix = q.real(1);
    o.posterior = q.real(2);
    o.n_votes = int(q.integer(3));
    o.anomalous = q.integer(4) != 0;
    if (auto it = leased.find(o.candidate_id); it != leased.end()) o.leased_by_others = it->second;
    offers.push_back(std::move(o));
  }
  if (!q.status()) return q.status().with_context("listing subjects to offer");
  return offers;
}

Result<std::optional<SubjectRow>> ReviewStore::subject(const std::string& candidate_id) {
  Reader reader(*this);
  Stmt q(reader.db(), (subject_select() + "WHERE s.candidate_id = ?").c_str());
  q.bind(candidate_id);
  if (q.step()) return std::optional<SubjectRow>(read_subject(q));
  if (!q.status()) return q.status().with_context("reading subject " + candidate_id);
  return std::optional<SubjectRow>();
}

Result<bool> ReviewStore::has_voted(int64_t volunteer_id, const std::string& candidate_id) {
  Reader reader(*this);
  Stmt q(reader.db(), "SELECT 1 FROM votes WHERE volunteer_id = ? AND candidate_id = ?");
  q.bind(volunteer_id).bind(candidate_id);
  bool found = q.step();
  if (!q.status()) return q.status();
  return found;
}

Result<VoteEffects> ReviewStore::record_vote(int64_t volunteer_id, const std::string& candidate_id,
                                             const std::string& answer, const std::string& comment,
                                             double now, const DecideVote& decide) {
  std::lock_guard lock(write_mutex_);
  Transaction tx(writer_);
  if (!tx.status()) return tx.status().with_context("recording a vote");
  SubjectRow subject;
  {
    Stmt q(writer_, (subject_select() + "WHERE s.candidate_id = ?").c_str());
    q.bind(candidate_id);
    if (!q.step()) {
      if (!q.status()) return q.status();
      return Status::not_found("no candidate " + candidate_id + " in the review queue");
    }
    subject = read_subject(q);
  }
  if (subject.state != "open")
    return Status::not_found("candidate " + candidate_id + " is no longer open for votes (" +
                             subject.state + ")");
  auto volunteer = load_volunteer(writer_, volunteer_id);
  if (!volunteer) return volunteer.status();
  std::vector<HistoryRow> earlier;
  {
    Stmt q(writer_, (std::string("SELECT ") + kHistoryColumns +
                     ", v.volunteer_id FROM votes v JOIN subjects s ON s.candidate_id = "
                     "v.candidate_id WHERE v.candidate_id = ? ORDER BY v.vote_id")
                        .c_str());
    q.bind(candidate_id);
    while (q.step()) {
      if (q.integer(11) == volunteer_id)
        return Status::invalid("you already classified candidate " + candidate_id);
      earlier.push_back(read_history(q));
      earlier.back().volunteer_id = q.integer(11);
    }
    if (!q.status()) return q.status();
  }

  VoteEffects fx = decide(subject, *volunteer, earlier);

  Stmt ins(writer_,
           "INSERT INTO votes (candidate_id, volunteer_id, answer, comment, voted_unix, training, "
           "correct, posterior_before, posterior_after, weight) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
           "?, ?)");
  ins.bind(candidate_id).bind(volunteer_id).bind(answer).bind(comment).bind(now);
  ins.bind(subject.training);
  if (fx.correct)
    ins.bind(*fx.correct);
  else
    ins.bind_null();
  ins.bind(subject.posterior).bind(fx.posterior_after).bind(fx.weight);
  if (Status s = ins.run(); !s) return s.with_context("storing a vote on " + candidate_id);

  Stmt upd(writer_,
           "UPDATE subjects SET posterior = ?, n_votes = n_votes + 1, state = ?, verdict = ?, "
           "retired_unix = ? WHERE candidate_id = ?");
  upd.bind(fx.posterior_after).bind(fx.new_state);
  if (fx.verdict.empty())
    upd.bind_null();
  else
    upd.bind(fx.verdict);
  if (fx.new_state == "open")
    upd.bind_null();
  else
    upd.bind(now);
  if (Status s = upd.bind(candidate_id).run(); !s)
    return s.with_context("updating " + candidate_id);

  Stmt vol(writer_,
           "UPDATE volunteers SET real_seen = real_seen + ?, real_said_real = real_said_real + ?, "
           "bogus_seen = bogus_seen + ?, bogus_said_bogus = bogus_said_bogus + ?, "
           "training_seen = training_seen + ?, classifications = classifications + 1, "
           "last_active_unix = ? WHERE volunteer_id = ?");
  vol.bind(fx.d_real_seen).bind(fx.d_real_said_real).bind(fx.d_bogus_seen);
  vol.bind(fx.d_bogus_said_bogus).bind(fx.counts_as_training ? 1 : 0).bind(now).bind(volunteer_id);
  if (Status s = vol.run(); !s) return s.with_context("updating volunteer skill");

  Stmt taught(writer_,
              "UPDATE volunteers SET real_seen = real_seen + ?, real_said_real = real_said_real + "
              "?, bogus_seen = bogus_seen + ?, bogus_said_bogus = bogus_said_bogus + ? "
              "WHERE volunteer_id = ?");
  for (const VoteEffects::SkillDelta& d : fx.consensus) {
    taught.reset();
    taught.bind(d.real_seen).bind(d.real_said_real).bind(d.bogus_seen).bind(d.bogus_said_bogus);
    if (Status s = taught.bind(d.volunteer_id).run(); !s)
      return s.with_context("teaching the voters of " + candidate_id + " from its verdict");
  }

  Stmt credit(writer_,
              "INSERT INTO discoverers (candidate_id, volunteer_id, rank, credited_unix) "
              "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING");
  int rank = 0;
  for (int64_t who : fx.discoverers) {
    credit.reset();
    if (Status s = credit.bind(candidate_id).bind(who).bind(++rank).bind(now).run(); !s)
      return s.with_context("crediting discoverers of " + candidate_id);
  }
  if (Status s = tx.commit(); !s) return s.with_context("committing a vote on " + candidate_id);
  std::lock_guard leases(leases_mutex_);  // they answered: the next subject is a new one
  leases_.erase(volunteer_id);
  return fx;
}

Result<std::vector<HistoryRow>> ReviewStore::history(int64_t volunteer_id, int limit) {
  Reader reader(*this);
  Stmt q(reader.db(), (std::string("SELECT ") + kHistoryColumns +
                       " FROM votes v JOIN subjects s ON s.candidate_id = v.candidate_id "
                       "WHERE v.volunteer_id = ? ORDER BY v.vote_id DESC LIMIT ?")
                          .c_str());
  q.bind(volunteer_id).bind(limit);
  std::vector<HistoryRow> rows;
  while (q.step()) rows.push_back(read_history(q));
  if (!q.status()) return q.status().with_context("reading history");
  return rows;
}

Result<std::vector<DiscoveryRow>> ReviewStore::discoveries(int64_t volunteer_id) {
  Reader reader(*this);
  Stmt q(reader.db(),
         "SELECT d.candidate_id, d.rank, d.credited_unix, c.ra, c.dec, e.mjd_obs, c.mag, e.field, "
         "e.band FROM discoverers d JOIN candidates c ON c.candidate_id = d.candidate_id "
         "JOIN exposures e ON e.exposure_id = c.exposure_id WHERE d.volunteer_id = ? "
         "ORDER BY d.credited_unix DESC");
  q.bind(volunteer_id);
  std::vector<DiscoveryRow> rows;
  while (q.step())
    rows.push_back({q.text(0), int(q.integer(1)), q.real(2), q.real(3), q.real(4), q.real(5),
                    q.real(6), q.text(7), q.text(8)});
  if (!q.status()) return q.status().with_context("reading discoveries");
  return rows;
}

Result<std::vector<ExportedVote>> ReviewStore::votes_between(double from_unix, double to_unix) {
  Reader reader(*this);
  std::string sql =
      std::string(
          "SELECT v.vote_id, v.volunteer_id, vo.display_name, v.candidate_id, v.answer, "
          "v.comment, v.voted_unix, v.training, s.truth, s.state, s.verdict, "
          "v.posterior_after, v.weight, ") +
      kCandidateRowColumns +
      " FROM votes v JOIN volunteers vo ON vo.volunteer_id = v.volunteer_id "
      "JOIN subjects s ON s.candidate_id = v.candidate_id "
      "JOIN candidates c ON c.candidate_id = v.candidate_id "
      "JOIN exposures e ON e.exposure_id = c.exposure_id "
      "WHERE v.voted_unix >= ? AND v.voted_unix < ? ORDER BY v.vote_id";
  Stmt q(reader.db(), sql.c_str());
  q.bind(from_unix).bind(to_unix);
  std::vector<ExportedVote> rows;
  while (q.step()) {
    ExportedVote v;
    v.vote_id = q.integer(0);
    v.volunteer_id = q.integer(1);
    v.display_name = q.text(2);
    v.candidate_id = q.text(3);
    v.answer = q.text(4);
    v.comment = q.text(5);
    v.voted_unix = q.real(6);
    v.training = q.integer(7) != 0;
    v.truth = q.text(8);
    v.subject_state = q.text(9);
    v.verdict = q.text(10);
    v.posterior_after = q.real(11);
    v.weight = q.real(12);
    v.candidate = read_candidate_row(q, 13);
    rows.push_back(std::move(v));
  }
  if (!q.status()) return q.status().with_context("exporting votes");
  return rows;
}

Result<QueueStats> ReviewStore::queue_stats(double now, double active_window_s) {
  Reader reader(*this);
  QueueStats stats;
  Stmt q(reader.db(),
         "SELECT (SELECT COUNT(*) FROM subjects WHERE state = 'open' AND training = 0), "
         "(SELECT MIN(created_unix) FROM subjects WHERE state = 'open' AND training = 0), "
         "(SELECT COUNT(*) FROM volunteers WHERE deleted_unix IS NULL AND last_active_unix >= ?), "
         "(SELECT COUNT(*) FROM votes), "
         "(SELECT COUNT(*) FROM subjects WHERE state = 'retired' AND training = 0), "
         "(SELECT COUNT(*) FROM subjects WHERE state = 'escalated')");
  q.bind(now - active_window_s);
  if (q.step()) {
    stats.open_subjects = int(q.integer(0));
    stats.oldest_open_unix = q.is_null(1) ? 0 : q.real(1);
    stats.active_volunteers = int(q.integer(2));
    stats.votes = q.integer(3);
    stats.retired = q.integer(4);
    stats.escalated = q.integer(5);
  }
  if (!q.status()) return q.status().with_context("reading queue statistics");
  return stats;
}

}  // namespace blink
