#include "store.h"

#include <sqlite3.h>

#include <cmath>
#include <limits>

namespace blink {
namespace {

// The schema, version 1. Every change bumps kSchemaVersion and adds a
// migration step in migrate(). Times are unix seconds (REAL, UTC).
//   exposures   one row per exposure_id ever accepted or rejected with a
//               valid envelope; state follows accepted -> processing -> done,
//               or -> rejected (reason label + message in reject_reason, error).
//   candidates  one row per candidate of a done science exposure; replaced as a
//               whole (same transaction as the exposure's `done`) so that
//               re-processing after a crash is idempotent. Newest = largest rowid.
//   refs        the current reference of each (field, band, ccd) and its file.
constexpr int kSchemaVersion = 1;
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS exposures (
  exposure_id   TEXT PRIMARY KEY,
  kind          TEXT NOT NULL CHECK (kind IN ('science', 'reference')),
  field         TEXT NOT NULL,
  band          TEXT NOT NULL,
  ccd           INTEGER NOT NULL,
  mjd_obs       REAL NOT NULL,
  exptime_s     REAL NOT NULL,
  state         TEXT NOT NULL CHECK (state IN ('accepted', 'processing', 'done', 'rejected')),
  received_unix REAL NOT NULL,
  finished_unix REAL,
  method        TEXT,
  n_candidates  INTEGER,
  noise_ratio   REAL,
  reject_reason TEXT,
  error         TEXT
);
CREATE INDEX IF NOT EXISTS exposures_by_state ON exposures (state);
CREATE INDEX IF NOT EXISTS exposures_by_received ON exposures (received_unix);
CREATE TABLE IF NOT EXISTS candidates (
  candidate_id      TEXT PRIMARY KEY,
  exposure_id       TEXT NOT NULL REFERENCES exposures (exposure_id) ON DELETE CASCADE,
  idx               INTEGER NOT NULL,
  x REAL, y REAL, ra REAL, dec REAL,
  flux REAL, flux_err REAL, snr REAL, mag REAL, mag_err REAL,
  fwhm REAL, elongation REAL, fwhm_ratio REAL, negative_fraction REAL, sharpness REAL,
  ref_distance REAL, ref_mag REAL, npix INTEGER, on_mask INTEGER,
  real_bogus    REAL,
  route         TEXT NOT NULL CHECK (route IN ('alert', 'review', 'rejected')),
  route_reason  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS candidates_by_exposure ON candidates (exposure_id);
CREATE INDEX IF NOT EXISTS candidates_by_route ON candidates (route);
CREATE TABLE IF NOT EXISTS refs (
  field        TEXT NOT NULL,
  band         TEXT NOT NULL,
  ccd          INTEGER NOT NULL,
  exposure_id  TEXT NOT NULL,
  path         TEXT NOT NULL,
  updated_unix REAL NOT NULL,
  PRIMARY KEY (field, band, ccd)
);
)sql";

Status sql_error(sqlite3* db, const std::string& doing) {
  int code = sqlite3_extended_errcode(db);
  std::string msg = doing + ": " + sqlite3_errmsg(db) + " (SQLite " + std::to_string(code) + ")";
  switch (code & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::corrupt(msg);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::unavailable(msg);
    case SQLITE_CONSTRAINT:
      return Status::invalid(msg);
    default:
      return Status::io_error(msg);
  }
}

// A prepared statement, finalized on destruction. Binds are 1-based, in order.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK)
      status_ = sql_error(db, "preparing SQL");
  }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& bind(const std::string& v) {
    return check(sqlite3_bind_text(stmt_, ++arg_, v.data(), int(v.size()), SQLITE_TRANSIENT));
  }
  Stmt& bind(std::string_view v) {
    return check(sqlite3_bind_text(stmt_, ++arg_, v.data(), int(v.size()), SQLITE_TRANSIENT));
  }
  Stmt& bind(const char* v) { return bind(std::string_view(v)); }
  Stmt& bind(int64_t v) { return check(sqlite3_bind_int64(stmt_, ++arg_, v)); }
  Stmt& bind(int v) { return bind(int64_t(v)); }
  Stmt& bind(bool v) { return bind(int64_t(v ? 1 : 0)); }
  // NaN and infinities are stored as NULL.
  Stmt& bind(double v) {
    return check(std::isfinite(v) ? sqlite3_bind_double(stmt_, ++arg_, v)
                                  : sqlite3_bind_null(stmt_, ++arg_));
  }

  // Steps once: true with a row, false when done; errors go to status().
  bool step() {
    if (!status_) return false;
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) status_ = sql_error(db_, "running SQL");
    return false;
  }
  Status run() {
    while (step()) {
    }
    return status_;
  }
  // Makes the statement ready to bind and run again.
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    arg_ = 0;
  }
  const Status& status() const { return status_; }

  std::string text(int col) const {
    auto p = sqlite3_column_text(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           size_t(sqlite3_column_bytes(stmt_, col)))
             : "";
  }
  int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }
  double real(int col) const {  // NULL reads as NaN
    return sqlite3_column_type(stmt_, col) == SQLITE_NULL ? std::numeric_limits<double>::quiet_NaN()
                                                          : sqlite3_column_double(stmt_, col);
  }

 private:
  Stmt& check(int rc) {
    if (rc != SQLITE_OK && status_) status_ = sql_error(db_, "binding SQL parameter");
    return *this;
  }
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  int arg_ = 0;
  Status status_;
};

Status exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return sql_error(db, std::string("executing ") + std::string(sql).substr(0, 40))
        .with_context(msg);
  }
  return Status::ok();
}

// BEGIN IMMEDIATE ... COMMIT, rolled back unless commit() succeeds.
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db), status_(exec(db, "BEGIN IMMEDIATE")) {}
  ~Transaction() {
    if (status_ && !committed_) exec(db_, "ROLLBACK");
  }
  const Status& status() const { return status_; }
  Status commit() {
    Status s = exec(db_, "COMMIT");
    committed_ = s.is_ok();
    return s;
  }

 private:
  sqlite3* db_;
  Status status_;
  bool committed_ = false;
};

Result<sqlite3*> open_connection(const std::string& path, bool read_only) {
  sqlite3* db = nullptr;
  int flags = (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
              SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    Status s = db ? sql_error(db, "opening " + path)
                  : Status::io_error("opening " + path + ": out of memory");
    sqlite3_close(db);
    return s;
  }
  sqlite3_busy_timeout(db, 10000);
  sqlite3_extended_result_codes(db, 1);
  return db;
}

std::optional<ExposureState> parse_state(const std::string& s) {
  if (s == "accepted") return ExposureState::kAccepted;
  if (s == "processing") return ExposureState::kProcessing;
  if (s == "done") return ExposureState::kDone;
  if (s == "rejected") return ExposureState::kRejected;
  return std::nullopt;
}

constexpr const char* kExposureColumns =
    "exposure_id, kind, field, band, ccd, mjd_obs, exptime_s, state, received_unix, finished_unix, "
    "method, "
    "n_candidates, noise_ratio, reject_reason, error";

ExposureRow read_exposure(const Stmt& s) {
  ExposureRow r;
  r.envelope.exposure_id = s.text(0);
  r.envelope.kind = parse_exposure_kind(s.text(1)).value_or(ExposureKind::kScience);
  r.envelope.field = s.text(2);
  r.envelope.band = s.text(3);
  r.envelope.ccd = int(s.integer(4));
  r.envelope.mjd_obs = s.real(5);
  r.envelope.exptime_s = s.real(6);
  r.state = parse_state(s.text(7)).value_or(ExposureState::kAccepted);
  r.received_unix = s.real(8);
  r.finished_unix = std::isnan(s.real(9)) ? 0 : s.real(9);
  r.method = s.text(10);
  r.n_candidates = int(s.integer(11));
  r.noise_ratio = s.real(12);
  r.reject_reason = s.text(13);
  r.error = s.text(14);
  return r;
}

constexpr const char* kCandidateColumns =
    "c.candidate_id, c.idx, c.x, c.y, c.ra, c.dec, c.flux, c.flux_err, c.snr, c.mag, c.mag_err, "
    "c.fwhm, "
    "c.elongation, c.fwhm_ratio, c.negative_fraction, c.sharpness, c.ref_distance, c.ref_mag, "
    "c.npix, c.on_mask, "
    "c.real_bogus, c.route, c.route_reason";
constexpr int kCandidateColumnCount = 23;

RoutedCandidate read_candidate(const Stmt& s, int col) {
  RoutedCandidate r;
  r.candidate_id = s.text(col++);
  r.index = int(s.integer(col++));
  Candidate& c = r.measured;
  for (double* v : {&c.x, &c.y, &c.ra, &c.dec, &c.flux, &c.flux_err, &c.snr, &c.mag, &c.mag_err,
                    &c.fwhm, &c.elongation, &c.fwhm_ratio, &c.negative_fraction, &c.sharpness,
                    &c.ref_distance, &c.ref_mag})
    *v = s.real(col++);
  c.npix = int(s.integer(col++));
  c.on_mask = s.integer(col++) != 0;
  c.real_bogus = s.real(col++);
  r.route = parse_route(s.text(col++)).value_or(Route::kReview);
  r.route_reason = s.text(col++);
  return r;
}

Status migrate(sqlite3* db) {
  Transaction tx(db);
  if (!tx.status()) return tx.status();
  if (Status s = exec(db, kSchema); !s) return s.with_context("creating schema");
  Stmt q(db, "SELECT MAX(version) FROM schema_version");
  int version = 0;
  if (q.step()) version = int(q.integer(0));
  if (!q.status()) return q.status();
  if (version > kSchemaVersion) {
    return Status::invalid("database schema version " + std::to_string(version) +
                           " is newer than this blinkd understands (" +
                           std::to_string(kSchemaVersion) + ")");
  }
  if (version == 0) {
    Stmt ins(db, "INSERT INTO schema_version (version) VALUES (?)");
    if (Status s = ins.bind(kSchemaVersion).run(); !s) return s;
  }
  return tx.commit();
}

}  // namespace

std::string_view exposure_state_name(ExposureState state) {
  switch (state) {
    case ExposureState::kAccepted:
      return "accepted";
    case ExposureState::kProcessing:
      return "processing";
    case ExposureState::kDone:
      return "done";
    case ExposureState::kRejected:
      return "rejected";
  }
  return "accepted";
}

int SqliteStore::schema_version() { return kSchemaVersion; }

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path) {
  std::unique_ptr<SqliteStore> store(new SqliteStore());
  auto writer = open_connection(path, false);
  if (!writer) return writer.status();
  store->writer_ = *writer;
  // WAL: readers do not block the writer; FULL: a commit survives power loss.
  if (Status s = exec(store->writer_,
                      "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON");
      !s)
    return s.with_context("configuring " + path);
  {
    Stmt q(store->writer_, "PRAGMA journal_mode");
    if (!q.step() || q.text(0) != "wal")
      return Status::io_error("cannot put " + path + " in WAL mode");
  }
  if (Status s = migrate(store->writer_); !s) return s.with_context("opening " + path);
  auto reader = open_connection(path, true);
  if (!reader) return reader.status();
  store->reader_ = *reader;
  return store;
}

SqliteStore::~SqliteStore() {
  sqlite3_close_v2(reader_);
  sqlite3_close_v2(writer_);
}

Result<std::optional<ExposureState>> SqliteStore::exposure_state(const std::string& exposure_id) {
  std::lock_guard lock(write_mutex_);  // the writer sees its own latest commits
  Stmt q(writer_, "SELECT state FROM exposures WHERE exposure_id = ?");
  q.bind(exposure_id);
  if (q.step()) return std::optional<ExposureState>(parse_state(q.text(0)));
  if (!q.status()) return q.status();
  return std::optional<ExposureState>();
}

Status SqliteStore::admit(const Envelope& e, double received_unix) {
  std::lock_guard lock(write_mutex_);
  Stmt q(writer_,
         "INSERT INTO exposures (exposure_id, kind, field, band, ccd, mjd_obs, exptime_s, state, "
         "received_unix) "
         "VALUES (?, ?, ?, ?, ?, ?, ?, 'accepted', ?) "
         "ON CONFLICT (exposure_id) DO UPDATE SET kind = excluded.kind, field = excluded.field, "
         "band = excluded.band, ccd = excluded.ccd, mjd_obs = excluded.mjd_obs, exptime_s = "
         "excluded.exptime_s, "
         "state = 'accepted', received_unix = excluded.received_unix, finished_unix = NULL, method "
         "= NULL, "
         "n_candidates = NULL, noise_ratio = NULL, reject_reason = NULL, error = NULL "
         "WHERE exposures.state = 'rejected'");
  q.bind(e.exposure_id).bind(exposure_kind_name(e.kind)).bind(e.field).bind(e.band).bind(e.ccd);
  q.bind(e.mjd_obs).bind(e.exptime_s).bind(received_unix);
  if (Status s = q.run(); !s) return s.with_context("admitting exposure " + e.exposure_id);
  if (sqlite3_changes(writer_) != 1)
    return Status::invalid("exposure " + e.exposure_id + " already exists");
  return Status::ok();
}

Status SqliteStore::mark_processing(const std::string& exposure_id) {
  std::lock_guard lock(write_mutex_);
  Stmt q(writer_,
         "UPDATE exposures SET state = 'processing' WHERE exposure_id = ? AND state IN "
         "('accepted', 'processing')");
  if (Status s = q.bind(exposure_id).run(); !s)
    return s.with_context("marking " + exposure_id + " processing");
  if (sqlite3_changes(writer_) != 1)
    return Status::not_found("exposure " + exposure_id + " is not waiting to be processed");
  return Status::ok();
}

Status SqliteStore::record_rejection(const Envelope& e, double received_unix,
                                     const Rejection& rejection, double finished_unix) {
  std::lock_guard lock(write_mutex_);
  Stmt q(
      writer_,
      "INSERT INTO exposures (exposure_id, kind, field, band, ccd, mjd_obs, exptime_s, state, "
      "received_unix, "
      "finished_unix, reject_reason, error) VALUES (?, ?, ?, ?, ?, ?, ?, 'rejected', ?, ?, ?, ?) "
      "ON CONFLICT (exposure_id) DO UPDATE SET state = 'rejected', finished_unix = "
      "excluded.finished_unix, "
      "reject_reason = excluded.reject_reason, error = excluded.error, n_candidates = 0");
  q.bind(e.exposure_id).bind(exposure_kind_name(e.kind)).bind(e.field).bind(e.band).bind(e.ccd);
  q.bind(e.mjd_obs).bind(e.exptime_s).bind(received_unix).bind(finished_unix);
  q.bind(reject_reason_label(rejection.reason)).bind(rejection.message);
  return q.run().with_context("recording the rejection of " + e.exposure_id);
}

Status SqliteStore::finish_science(const std::string& exposure_id, const ExposureOutcome& outcome,
                                   const std::vector<RoutedCandidate>& candidates) {
  std::lock_guard lock(write_mutex_);
  Transaction tx(writer_);
  if (!tx.status()) return tx.status().with_context("storing candidates of " + exposure_id);
  {
    Stmt del(writer_, "DELETE FROM candidates WHERE exposure_id = ?");
    if (Status s = del.bind(exposure_id).run(); !s)
      return s.with_context("replacing candidates of " + exposure_id);
  }
  Stmt ins(writer_,
           "INSERT INTO candidates (candidate_id, exposure_id, idx, x, y, ra, dec, flux, flux_err, "
           "snr, mag, mag_err, "
           "fwhm, elongation, fwhm_ratio, negative_fraction, sharpness, ref_distance, ref_mag, "
           "npix, on_mask, "
           "real_bogus, route, route_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
           "?, ?, ?, ?, ?, ?, "
           "?, ?, ?)");
  if (!ins.status()) return ins.status();
  for (const RoutedCandidate& r : candidates) {
    const Candidate& c = r.measured;
    ins.reset();
    ins.bind(r.candidate_id).bind(exposure_id).bind(r.index);
    for (double v :
         {c.x, c.y, c.ra, c.dec, c.flux, c.flux_err, c.snr, c.mag, c.mag_err, c.fwhm, c.elongation,
          c.fwhm_ratio, c.negative_fraction, c.sharpness, c.ref_distance, c.ref_mag})
      ins.bind(v);
    ins.bind(c.npix)
        .bind(c.on_mask)
        .bind(c.real_bogus)
        .bind(route_name(r.route))
        .bind(r.route_reason);
    if (Status s = ins.run(); !s) return s.with_context("storing candidate " + r.candidate_id);
  }
  Stmt upd(writer_,
           "UPDATE exposures SET state = 'done', finished_unix = ?, method = ?, n_candidates = ?, "
           "noise_ratio = ?, "
           "reject_reason = NULL, error = NULL WHERE exposure_id = ?");
  upd.bind(outcome.finished_unix)
      .bind(outcome.method)
      .bind(int64_t(candidates.size()))
      .bind(outcome.noise_ratio);
  if (Status s = upd.bind(exposure_id).run(); !s)
    return s.with_context("marking " + exposure_id + " done");
  if (sqlite3_changes(writer_) != 1)
    return Status::not_found("exposure " + exposure_id + " has no row");
  return tx.commit().with_context("committing " + exposure_id);
}

Status SqliteStore::finish_reference(const std::string& exposure_id, const ExposureOutcome& outcome,
                                     const ReferenceRow& ref) {
  std::lock_guard lock(write_mutex_);
  Transaction tx(writer_);
  if (!tx.status()) return tx.status().with_context("storing reference " + exposure_id);
  Stmt up(writer_,
          "INSERT INTO refs (field, band, ccd, exposure_id, path, updated_unix) VALUES (?, ?, ?, "
          "?, ?, ?) "
          "ON CONFLICT (field, band, ccd) DO UPDATE SET exposure_id = excluded.exposure_id, path = "
          "excluded.path, "
          "updated_unix = excluded.updated_unix");
  up.bind(ref.field)
      .bind(ref.band)
      .bind(ref.ccd)
      .bind(ref.exposure_id)
      .bind(ref.path)
      .bind(ref.updated_unix);
  if (Status s = up.run(); !s) return s.with_context("storing reference " + exposure_id);
  Stmt upd(writer_,
           "UPDATE exposures SET state = 'done', finished_unix = ?, method = ?, n_candidates = 0, "
           "noise_ratio = ?, "
           "reject_reason = NULL, error = NULL WHERE exposure_id = ?");
  upd.bind(outcome.finished_unix).bind(outcome.method).bind(outcome.noise_ratio).bind(exposure_id);
  if (Status s = upd.run(); !s) return s.with_context("marking " + exposure_id + " done");
  if (sqlite3_changes(writer_) != 1)
    return Status::not_found("exposure " + exposure_id + " has no row");
  return tx.commit().with_context("committing " + exposure_id);
}

Result<std::vector<ExposureRow>> SqliteStore::unfinished_exposures() {
  std::lock_guard lock(write_mutex_);
  Stmt q(writer_,
         (std::string("SELECT ") + kExposureColumns +
          " FROM exposures WHERE state IN ('accepted', 'processing') ORDER BY received_unix, rowid")
             .c_str());
  std::vector<ExposureRow> rows;
  while (q.step()) rows.push_back(read_exposure(q));
  if (!q.status()) return q.status().with_context("listing unfinished exposures");
  return rows;
}

Result<std::vector<ReferenceRow>> SqliteStore::references() {
  std::lock_guard lock(read_mutex_);
  Stmt q(reader_,
         "SELECT field, band, ccd, exposure_id, path, updated_unix FROM refs ORDER BY field, band, "
         "ccd");
  std::vector<ReferenceRow> rows;
  while (q.step())
    rows.push_back({q.text(0), q.text(1), int(q.integer(2)), q.text(3), q.text(4), q.real(5)});
  if (!q.status()) return q.status().with_context("listing references");
  return rows;
}

Result<std::vector<CandidateRow>> SqliteStore::recent_candidates(std::optional<Route> route,
                                                                 int limit) {
  std::lock_guard lock(read_mutex_);
  std::string sql =
      std::string("SELECT ") + kCandidateColumns +
      ", e.exposure_id, e.kind, e.field, e.band, e.ccd, e.mjd_obs, e.exptime_s, e.method "
      "FROM candidates c JOIN exposures e ON e.exposure_id = c.exposure_id " +
      (route ? "WHERE c.route = ? " : "") + "ORDER BY c.rowid DESC LIMIT ?";
  Stmt q(reader_, sql.c_str());
  if (route) q.bind(route_name(*route));
  q.bind(limit);
  std::vector<CandidateRow> rows;
  while (q.step()) {
    CandidateRow row;
    row.candidate = read_candidate(q, 0);
    int col = kCandidateColumnCount;
    row.exposure.exposure_id = q.text(col++);
    row.exposure.kind = parse_exposure_kind(q.text(col++)).value_or(ExposureKind::kScience);
    row.exposure.field = q.text(col++);
    row.exposure.band = q.text(col++);
    row.exposure.ccd = int(q.integer(col++));
    row.exposure.mjd_obs = q.real(col++);
    row.exposure.exptime_s = q.real(col++);
    row.method = q.text(col++);
    rows.push_back(std::move(row));
  }
  if (!q.status()) return q.status().with_context("listing candidates");
  return rows;
}

Result<std::vector<ExposureRow>> SqliteStore::recent_exposures(int limit) {
  std::lock_guard lock(read_mutex_);
  Stmt q(reader_, (std::string("SELECT ") + kExposureColumns +
                   " FROM exposures ORDER BY received_unix DESC, rowid DESC LIMIT ?")
                      .c_str());
  q.bind(limit);
  std::vector<ExposureRow> rows;
  while (q.step()) rows.push_back(read_exposure(q));
  if (!q.status()) return q.status().with_context("listing exposures");
  return rows;
}

Result<std::vector<RoutedCandidate>> SqliteStore::candidates_of(const std::string& exposure_id) {
  std::lock_guard lock(read_mutex_);
  Stmt q(reader_, (std::string("SELECT ") + kCandidateColumns +
                   " FROM candidates c WHERE c.exposure_id = ? ORDER BY c.idx")
                      .c_str());
  q.bind(exposure_id);
  std::vector<RoutedCandidate> rows;
  while (q.step()) rows.push_back(read_candidate(q, 0));
  if (!q.status()) return q.status().with_context("listing candidates of " + exposure_id);
  return rows;
}

Status SqliteStore::integrity_check() {
  std::lock_guard lock(write_mutex_);
  Stmt q(writer_, "PRAGMA integrity_check");
  std::string found;
  while (q.step()) found += (found.empty() ? "" : "; ") + q.text(0);
  if (!q.status()) return q.status();
  if (found != "ok") return Status::corrupt("integrity_check: " + found);
  return Status::ok();
}

}  // namespace blink
