#include "store.h"

#include <sqlite3.h>

#include "sqlite_util.h"
#include "store_rows.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace blink {
namespace {

// The schema, version 2. Every change bumps kSchemaVersion and adds a
// migration step in migrate(). Times are unix seconds (REAL, UTC).
//   exposures   one row per exposure_id ever accepted or rejected with a
//               valid envelope; state follows accepted -> processing -> done,
//               or -> rejected (reason label + message in reject_reason, error).
//   candidates  one row per candidate of a done science exposure; replaced as a
//               whole (same transaction as the exposure's `done`) so that
//               re-processing after a crash is idempotent. Newest = largest rowid.
//   refs        the current reference of each (field, band, ccd) and its file.
//   cutouts     science/reference/difference stamps of the candidates people
//               or brokers see: float32 little-endian, row-major, NaN outside.
//   fakes       the synthetic sources injected into each science exposure and
//               the candidate that recovered each (NULL when missed).
// The volunteer review (version 2; written by review_store.cc):
//   subjects    candidates in the review queue, with the machine's prior, the
//               running posterior and the verdict once retired. Training
//               subjects (injected fakes, unmistakable artefacts) carry the truth.
//   volunteers  display name, SHA-256 of the token (never the token), and the
//               SWAP confusion counts learned from training subjects.
//   votes       one per (subject, volunteer); kept when a volunteer leaves.
//   discoverers the first volunteers who said "real" on a subject retired real.
// Subjects and votes name candidates by id without a foreign key: a candidate
// row is only ever replaced before its exposure is done, never after.
// Version 3: objects and classes.
//   objects     detections at one sky position across exposures: the first
//               detection's position and id, and how often it was seen.
//   candidates  gain object_id, the class probabilities, the anomaly score
//               (and the features it was computed from, for refits), the
//               host association and the model version; exposures gain the
//               limiting magnitude their non-detections stand for.
constexpr int kSchemaVersion = 3;
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
  error         TEXT,
  limiting_mag  REAL
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
  route_reason  TEXT NOT NULL,
  fake_index    INTEGER,
  object_id TEXT,
  model_version TEXT,
  class TEXT,
  p_supernova REAL,
  p_variable REAL,
  p_moving REAL,
  p_nuclear REAL,
  p_artefact REAL,
  anomaly REAL,
  host_ra REAL,
  host_dec REAL,
  host_offset REAL,
  host_radius REAL,
  host_mag REAL,
  ref_point_source INTEGER,
  motion REAL,
  tracklet TEXT,
  anomaly_features BLOB
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

// Columns version 3 added to version-1/2 tables (a new database has them from kSchema).
constexpr const char* kV3Columns[] = {
    "exposures ADD COLUMN limiting_mag REAL", "candidates ADD COLUMN object_id TEXT",
    "candidates ADD COLUMN model_version TEXT", "candidates ADD COLUMN class TEXT",
    "candidates ADD COLUMN p_supernova REAL", "candidates ADD COLUMN p_variable REAL",
    "candidates ADD COLUMN p_moving REAL", "candidates ADD COLUMN p_nuclear REAL",
    "candidates ADD COLUMN p_artefact REAL", "candidates ADD COLUMN anomaly REAL",
    "candidates ADD COLUMN host_ra REAL", "candidates ADD COLUMN host_dec REAL",
    "candidates ADD COLUMN host_offset REAL", "candidates ADD COLUMN host_radius REAL",
    "candidates ADD COLUMN host_mag REAL", "candidates ADD COLUMN ref_point_source INTEGER",
    "candidates ADD COLUMN motion REAL", "candidates ADD COLUMN tracklet TEXT",
    "candidates ADD COLUMN anomaly_features BLOB"};

constexpr const char* kSchemaV3 = R"sql(
CREATE TABLE IF NOT EXISTS objects (
  object_id     TEXT PRIMARY KEY,
  field         TEXT NOT NULL,
  ccd           INTEGER NOT NULL,
  ra            REAL NOT NULL,
  dec           REAL NOT NULL,
  first_mjd     REAL NOT NULL,
  last_mjd      REAL NOT NULL,
  n_detections  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS candidates_by_object ON candidates (object_id);
CREATE INDEX IF NOT EXISTS exposures_by_field ON exposures (field, ccd, mjd_obs);
)sql";

// Version 2: the review service. Also run on a version-1 database after
// adding candidates.fake_index.
constexpr const char* kSchemaV2 = R"sql(
CREATE TABLE IF NOT EXISTS cutouts (
  candidate_id TEXT PRIMARY KEY,
  size         INTEGER NOT NULL,
  science      BLOB NOT NULL,
  reference    BLOB NOT NULL,
  difference   BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS fakes (
  exposure_id  TEXT NOT NULL,
  idx          INTEGER NOT NULL,
  x REAL, y REAL, flux REAL, mag REAL,
  near_host    INTEGER NOT NULL,
  candidate_id TEXT,
  PRIMARY KEY (exposure_id, idx)
);
CREATE TABLE IF NOT EXISTS subjects (
  candidate_id TEXT PRIMARY KEY,
  created_unix REAL NOT NULL,
  prior        REAL NOT NULL,
  posterior    REAL NOT NULL,
  n_votes      INTEGER NOT NULL DEFAULT 0,
  state        TEXT NOT NULL CHECK (state IN ('open', 'retired', 'escalated')),
  verdict      TEXT CHECK (verdict IN ('real', 'bogus', 'undecided')),
  retired_unix REAL,
  training     INTEGER NOT NULL DEFAULT 0,
  truth        TEXT CHECK (truth IN ('real', 'bogus')),
  truth_note   TEXT,
  anomalous    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS subjects_by_state ON subjects (state, training, created_unix);
CREATE TABLE IF NOT EXISTS volunteers (
  volunteer_id     INTEGER PRIMARY KEY,
  display_name     TEXT NOT NULL,
  token_hash       TEXT UNIQUE,
  joined_unix      REAL NOT NULL,
  deleted_unix     REAL,
  last_active_unix REAL,
  real_seen        REAL NOT NULL DEFAULT 0,
  real_said_real   REAL NOT NULL DEFAULT 0,
  bogus_seen       REAL NOT NULL DEFAULT 0,
  bogus_said_bogus REAL NOT NULL DEFAULT 0,
  training_seen    INTEGER NOT NULL DEFAULT 0,
  classifications  INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS votes (
  vote_id          INTEGER PRIMARY KEY,
  candidate_id     TEXT NOT NULL,
  volunteer_id     INTEGER NOT NULL,
  answer           TEXT NOT NULL CHECK (answer IN ('real', 'bogus', 'odd')),
  comment          TEXT NOT NULL DEFAULT '',
  voted_unix       REAL NOT NULL,
  training         INTEGER NOT NULL,
  correct          INTEGER,
  posterior_before REAL,
  posterior_after  REAL,
  weight           REAL,
  UNIQUE (candidate_id, volunteer_id)
);
CREATE INDEX IF NOT EXISTS votes_by_volunteer ON votes (volunteer_id, voted_unix);
CREATE INDEX IF NOT EXISTS votes_by_time ON votes (voted_unix);
CREATE TABLE IF NOT EXISTS discoverers (
  candidate_id  TEXT NOT NULL,
  volunteer_id  INTEGER NOT NULL,
  rank          INTEGER NOT NULL,
  credited_unix REAL NOT NULL,
  PRIMARY KEY (candidate_id, volunteer_id)
);
)sql";

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

// The stamps of every candidate that has them, replacing the exposure's old ones.
Status store_cutouts(sqlite3* db, const std::string& exposure_id,
                     const std::vector<RoutedCandidate>& candidates) {
  Stmt del(db, "DELETE FROM cutouts WHERE candidate_id >= ? AND candidate_id < ?");
  // Candidate ids are "<exposure_id>:<index>": ':' + 1 == ';' bounds them all.
  if (Status s = del.bind(exposure_id + ":").bind(exposure_id + ";").run(); !s)
    return s.with_context("replacing cutouts of " + exposure_id);
  Stmt ins(db,
           "INSERT INTO cutouts (candidate_id, size, science, reference, difference) "
           "VALUES (?, ?, ?, ?, ?)");
  for (const RoutedCandidate& r : candidates) {
    if (!r.cutouts) continue;
    const CutoutTriplet& t = *r.cutouts;
    const size_t bytes = size_t(t.size) * size_t(t.size) * sizeof(float);
    if (t.science.size() * sizeof(float) != bytes || t.reference.size() * sizeof(float) != bytes ||
        t.difference.size() * sizeof(float) != bytes)
      return Status::internal("cutouts of " + r.candidate_id + " are not " +
                              std::to_string(t.size) + " pixels square");
    ins.reset();
    ins.bind(r.candidate_id).bind(t.size);
    ins.bind_blob(t.science.data(), bytes)
        .bind_blob(t.reference.data(), bytes)
        .bind_blob(t.difference.data(), bytes);
    if (Status s = ins.run(); !s) return s.with_context("storing cutouts of " + r.candidate_id);
  }
  return Status::ok();
}

// New subjects for the review queue. A subject already queued (an exposure
// re-processed after a crash between commit and spool removal) keeps its votes.
Status queue_subjects(sqlite3* db, const std::vector<RoutedCandidate>& candidates, double now) {
  Stmt ins(db,
           "INSERT INTO subjects (candidate_id, created_unix, prior, posterior, state, training, "
           "truth, truth_note, anomalous) VALUES (?, ?, ?, ?, 'open', ?, ?, ?, ?) "
           "ON CONFLICT (candidate_id) DO NOTHING");
  for (const RoutedCandidate& r : candidates) {
    if (!r.subject) continue;
    const SubjectSeed& seed = *r.subject;
    ins.reset();
    ins.bind(r.candidate_id).bind(now).bind(seed.prior).bind(seed.prior).bind(seed.training);
    if (seed.training)
      ins.bind(seed.truth).bind(seed.truth_note);
    else
      ins.bind_null().bind_null();
    ins.bind(seed.anomalous);
    if (Status s = ins.run(); !s) return s.with_context("queueing " + r.candidate_id);
  }
  return Status::ok();
}

Status store_fakes(sqlite3* db, const std::string& exposure_id, const std::vector<FakeRow>& fakes) {
  Stmt del(db, "DELETE FROM fakes WHERE exposure_id = ?");
  if (Status s = del.bind(exposure_id).run(); !s)
    return s.with_context("replacing fakes of " + exposure_id);
  Stmt ins(db,
           "INSERT INTO fakes (exposure_id, idx, x, y, flux, mag, near_host, candidate_id) "
           "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  for (const FakeRow& f : fakes) {
    ins.reset();
    ins.bind(exposure_id).bind(f.index).bind(f.x).bind(f.y).bind(f.flux).bind(f.mag);
    ins.bind(f.near_host);
    if (f.candidate_id.empty())
      ins.bind_null();
    else
      ins.bind(f.candidate_id);
    if (Status s = ins.run(); !s) return s.with_context("storing fakes of " + exposure_id);
  }
  return Status::ok();
}

// Objects of the exposure's detections that can be seen again: a new object
// starts at its first detection; a known one counts one more. Re-processing
// an exposure after a crash replays this in the same transaction as the
// candidates, so counts stay exact (the old rows are taken back first).
Status store_objects(sqlite3* db, const std::string& exposure_id,
                     const std::vector<RoutedCandidate>& candidates) {
  Stmt ins(db,
           "INSERT INTO objects (object_id, field, ccd, ra, dec, first_mjd, last_mjd, n_detections) "
           "SELECT ?, e.field, e.ccd, ?, ?, e.mjd_obs, e.mjd_obs, 1 FROM exposures e "
           "WHERE e.exposure_id = ? ON CONFLICT (object_id) DO UPDATE SET "
           "last_mjd = MAX(last_mjd, excluded.last_mjd), n_detections = n_detections + 1");
  for (const RoutedCandidate& r : candidates) {
    if (r.history.object_id.empty() || !counts_as_detection(r)) continue;
    ins.reset();
    ins.bind(r.history.object_id).bind(r.measured.ra).bind(r.measured.dec).bind(exposure_id);
    if (Status s = ins.run(); !s) return s.with_context("storing the object of " + r.candidate_id);
  }
  return Status::ok();
}

// Before replacing an exposure's candidates: take back what they added to objects.
Status unstore_objects(sqlite3* db, const std::string& exposure_id) {
  Stmt dec(db,
           "UPDATE objects SET n_detections = n_detections - 1 WHERE object_id IN "
           "(SELECT object_id FROM candidates WHERE exposure_id = ? AND object_id IS NOT NULL "
           "AND fake_index IS NULL AND route != 'rejected')");
  if (Status s = dec.bind(exposure_id).run(); !s) return s;
  Stmt del(db, "DELETE FROM objects WHERE n_detections <= 0");
  return del.run();
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
  if (version == 1) {
    if (Status s = exec(db, "ALTER TABLE candidates ADD COLUMN fake_index INTEGER"); !s)
      return s.with_context("migrating schema 1 -> 2");
  }
  if (Status s = exec(db, kSchemaV2); !s) return s.with_context("creating schema 2");
  if (version == 1 || version == 2) {
    for (const char* column : kV3Columns)
      if (Status s = exec(db, (std::string("ALTER TABLE ") + column).c_str()); !s)
        return s.with_context("migrating schema " + std::to_string(version) + " -> 3");
  }
  if (Status s = exec(db, kSchemaV3); !s) return s.with_context("creating schema 3");
  if (version < kSchemaVersion) {
    Stmt del(db, "DELETE FROM schema_version");
    if (Status s = del.run(); !s) return s;
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
                                   const std::vector<RoutedCandidate>& candidates,
                                   const std::vector<FakeRow>& fakes) {
  std::lock_guard lock(write_mutex_);
  Transaction tx(writer_);
  if (!tx.status()) return tx.status().with_context("storing candidates of " + exposure_id);
  {
    if (Status s = unstore_objects(writer_, exposure_id); !s)
      return s.with_context("replacing the objects of " + exposure_id);
    Stmt del(writer_, "DELETE FROM candidates WHERE exposure_id = ?");
    if (Status s = del.bind(exposure_id).run(); !s)
      return s.with_context("replacing candidates of " + exposure_id);
  }
  Stmt ins(writer_,
           "INSERT INTO candidates (candidate_id, exposure_id, idx, x, y, ra, dec, flux, flux_err, "
           "snr, mag, mag_err, fwhm, elongation, fwhm_ratio, negative_fraction, sharpness, "
           "ref_distance, ref_mag, npix, on_mask, real_bogus, route, route_reason, fake_index, "
           "object_id, model_version, class, p_supernova, p_variable, p_moving, p_nuclear, "
           "p_artefact, anomaly, host_ra, host_dec, host_offset, host_radius, host_mag, "
           "ref_point_source, motion, tracklet, anomaly_features) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
           "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
           "?, ?, ?, ?, ?, ?)");
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
    if (c.fake_index >= 0)
      ins.bind(c.fake_index);
    else
      ins.bind_null();
    if (r.history.object_id.empty())
      ins.bind_null();
    else
      ins.bind(r.history.object_id);
    ins.bind(r.model_version).bind(std::string(class_name(r.classes.best())));
    for (double p : r.classes.p) ins.bind(p);
    ins.bind(r.anomaly);
    if (c.host_radius > 0)
      ins.bind(c.host_ra).bind(c.host_dec).bind(c.host_offset).bind(c.host_radius).bind(c.host_mag);
    else
      ins.bind_null().bind_null().bind_null().bind_null().bind_null();
    ins.bind(c.ref_point_source).bind(r.history.motion_arcsec_per_hour);
    std::string tracklet;
    for (const TrackletPoint& p : r.history.tracklet)
      tracklet += (tracklet.empty() ? "" : ",") + p.candidate_id;
    ins.bind(tracklet);
    if (r.anomaly_features.empty())
      ins.bind_null();
    else
      ins.bind_blob(r.anomaly_features.data(), r.anomaly_features.size() * sizeof(double));
    if (Status s = ins.run(); !s) return s.with_context("storing candidate " + r.candidate_id);
  }
  if (Status s = store_objects(writer_, exposure_id, candidates); !s) return s;
  if (Status s = store_cutouts(writer_, exposure_id, candidates); !s) return s;
  if (Status s = queue_subjects(writer_, candidates, outcome.finished_unix); !s) return s;
  if (Status s = store_fakes(writer_, exposure_id, fakes); !s) return s;
  Stmt upd(writer_,
           "UPDATE exposures SET state = 'done', finished_unix = ?, method = ?, n_candidates = ?, "
           "noise_ratio = ?, limiting_mag = ?, "
           "reject_reason = NULL, error = NULL WHERE exposure_id = ?");
  upd.bind(outcome.finished_unix)
      .bind(outcome.method)
      .bind(int64_t(candidates.size()))
      .bind(outcome.noise_ratio)
      .bind(outcome.limiting_mag);
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
  std::string sql = std::string("SELECT ") + kCandidateRowColumns +
                    " FROM candidates c JOIN exposures e ON e.exposure_id = c.exposure_id " +
                    (route ? "WHERE c.route = ? " : "") + "ORDER BY c.rowid DESC LIMIT ?";
  Stmt q(reader_, sql.c_str());
  if (route) q.bind(route_name(*route));
  q.bind(limit);
  std::vector<CandidateRow> rows;
  while (q.step()) rows.push_back(read_candidate_row(q, 0));
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

Result<CutoutTriplet> SqliteStore::cutouts_of(const std::string& candidate_id) {
  std::lock_guard lock(read_mutex_);
  Stmt q(reader_,
         "SELECT size, science, reference, difference FROM cutouts WHERE candidate_id = ?");
  q.bind(candidate_id);
  if (!q.step()) {
    if (!q.status()) return q.status().with_context("reading cutouts of " + candidate_id);
    return Status::not_found("no cutouts for candidate " + candidate_id);
  }
  CutoutTriplet t;
  t.size = int(q.integer(0));
  const size_t n = size_t(t.size) * size_t(t.size);
  for (auto [col, out] : {std::pair{1, &t.science}, {2, &t.reference}, {3, &t.difference}}) {
    std::string bytes = q.blob(col);
    if (bytes.size() != n * sizeof(float))
      return Status::corrupt("cutouts of " + candidate_id + " have " +
                             std::to_string(bytes.size()) + " bytes, not " +
                             std::to_string(n * sizeof(float)));
    out->resize(n);
    std::memcpy(out->data(), bytes.data(), bytes.size());
  }
  return t;
}

Result<std::vector<PreviousDetection>> SqliteStore::detections_in(const std::string& field, int ccd,
                                                                 double mjd_from, double mjd_to) {
  std::lock_guard lock(read_mutex_);
  Stmt q(reader_,
         "SELECT c.object_id, c.candidate_id, e.exposure_id, e.band, e.mjd_obs, c.ra, c.dec, "
         "c.flux, c.flux_err, c.snr, c.mag, c.mag_err, c.real_bogus FROM exposures e "
         "JOIN candidates c ON c.exposure_id = e.exposure_id "
         "WHERE e.field = ? AND e.ccd = ? AND e.mjd_obs >= ? AND e.mjd_obs < ? AND e.state = 'done' "
         "AND c.object_id IS NOT NULL AND c.fake_index IS NULL AND c.route != 'rejected'");
  q.bind(field).bind(ccd).bind(mjd_from).bind(mjd_to);
  std::vector<PreviousDetection> out;
  while (q.step()) {
    PreviousDetection p;
    p.object_id = q.text(0), p.candidate_id = q.text(1), p.exposure_id = q.text(2), p.band = q.text(3);
    int col = 4;
    for (double* v : {&p.mjd, &p.ra, &p.dec, &p.flux, &p.flux_err, &p.snr, &p.mag, &p.mag_err, &p.real_bogus})
      *v = q.real(col++);
    out.push_back(std::move(p));
  }
  if (!q.status()) return q.status().with_context("reading detections of field " + field);
  return out;
}

Result<std::vector<ExposureCoverage>> SqliteStore::coverage_of(const std::string& field, int ccd,
                                                              double mjd_from, double mjd_to) {
  std::lock_guard lock(read_mutex_);
  Stmt q(reader_,
         "SELECT exposure_id, band, mjd_obs, limiting_mag FROM exposures WHERE field = ? AND ccd = ? "
         "AND mjd_obs >= ? AND mjd_obs < ? AND state = 'done' AND kind = 'science' ORDER BY mjd_obs");
  q.bind(field).bind(ccd).bind(mjd_from).bind(mjd_to);
  std::vector<ExposureCoverage> out;
  while (q.step()) {
    const double limit = q.real(3);
    out.push_back({q.text(0), q.text(1), q.real(2), std::isfinite(limit) ? limit : 0.0});
  }
  if (!q.status()) return q.status().with_context("reading the exposures of field " + field);
  return out;
}

Result<std::vector<std::vector<double>>> SqliteStore::anomaly_rows(double since_unix, int limit) {
  std::lock_guard lock(read_mutex_);
  Stmt q(reader_,
         "SELECT c.anomaly_features FROM candidates c JOIN exposures e USING (exposure_id) "
         "WHERE e.finished_unix >= ? AND c.fake_index IS NULL AND c.anomaly_features IS NOT NULL "
         "ORDER BY c.rowid DESC LIMIT ?");
  q.bind(since_unix).bind(limit);
  std::vector<std::vector<double>> rows;
  while (q.step()) {
    std::string bytes = q.blob(0);
    std::vector<double> row(bytes.size() / sizeof(double));
    std::memcpy(row.data(), bytes.data(), row.size() * sizeof(double));
    rows.push_back(std::move(row));
  }
  if (!q.status()) return q.status().with_context("reading anomaly features");
  return rows;
}

Result<NightData> SqliteStore::night_data(double from_unix, double to_unix) {
  std::lock_guard lock(read_mutex_);
  NightData night;
  {
    Stmt q(reader_, (std::string("SELECT ") + kExposureColumns +
                     " FROM exposures WHERE received_unix >= ? AND received_unix < ? "
                     "ORDER BY received_unix")
                        .c_str());
    q.bind(from_unix).bind(to_unix);
    while (q.step()) night.exposures.push_back(read_exposure(q));
    if (!q.status()) return q.status().with_context("reading the night's exposures");
  }
  {
    Stmt q(reader_,
           "SELECT c.route, COUNT(*) FROM candidates c JOIN exposures e ON e.exposure_id = "
           "c.exposure_id WHERE e.received_unix >= ? AND e.received_unix < ? AND c.fake_index "
           "IS NULL GROUP BY c.route");
    q.bind(from_unix).bind(to_unix);
    while (q.step())
      if (auto route = parse_route(q.text(0))) night.candidates[int(*route)] = int(q.integer(1));
    if (!q.status()) return q.status().with_context("counting the night's candidates");
  }
  {
    Stmt q(reader_,
           "SELECT c.class, COUNT(*) FROM candidates c JOIN exposures e ON e.exposure_id = "
           "c.exposure_id WHERE e.received_unix >= ? AND e.received_unix < ? AND c.fake_index "
           "IS NULL AND c.class IS NOT NULL GROUP BY c.class");
    q.bind(from_unix).bind(to_unix);
    while (q.step())
      if (auto c = parse_class(q.text(0))) night.classes[int(*c)] = int(q.integer(1));
    if (!q.status()) return q.status().with_context("counting the night's candidates by class");
  }
  {
    Stmt q(reader_,
           "SELECT f.mag, f.candidate_id IS NOT NULL, f.near_host FROM fakes f JOIN exposures e "
           "ON e.exposure_id = f.exposure_id WHERE e.received_unix >= ? AND e.received_unix < ?");
    q.bind(from_unix).bind(to_unix);
    while (q.step()) night.fakes.push_back({q.real(0), q.integer(1) != 0, q.integer(2) != 0});
    if (!q.status()) return q.status().with_context("reading the night's fakes");
  }
  return night;
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
