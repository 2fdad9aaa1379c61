#include "training_labels.h"

#include <sqlite3.h>

#include <cmath>
#include <limits>

#include "review_intake.h"
#include "sqlite_util.h"

namespace blink::train {
namespace {

// Closes the connection on every path.
struct Db {
  sqlite3* db = nullptr;
  ~Db() { sqlite3_close(db); }
};

bool has_table(sqlite3* db, const char* table) {
  Stmt q(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
  q.bind(table);
  return q.step();
}

bool has_column(sqlite3* db, const std::string& table, const std::string& column) {
  Stmt q(db, ("SELECT 1 FROM pragma_table_info('" + table + "') WHERE name = ?").c_str());
  q.bind(column);
  return q.step();
}

double real_or_nan(const Stmt& q, int col) {
  return q.is_null(col) ? std::numeric_limits<double>::quiet_NaN() : q.real(col);
}

}  // namespace

Result<DbLabelCounts> label_from_database(const std::string& path,
                                          std::vector<LabelledCandidate>& out) {
  Db db;
  if (sqlite3_open_v2(path.c_str(), &db.db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK)
    return sql_error(db.db, "opening " + path + " read-only");
  sqlite3_busy_timeout(db.db, 5000);
  if (!has_table(db.db, "candidates"))
    return Status::invalid(path + " is not a blinkd database (no candidates table)");
  DbLabelCounts counts;
  counts.has_host_columns = has_column(db.db, "candidates", "host_radius");
  const bool has_subjects = has_table(db.db, "subjects");
  const bool has_fakes = has_table(db.db, "fakes");
  std::string sql =
      "SELECT c.exposure_id, c.snr, c.mag, c.mag_err, c.fwhm, c.elongation, c.fwhm_ratio, "
      "c.negative_fraction, c.sharpness, c.ref_distance, c.ref_mag, c.npix, c.on_mask, c.route, ";
  // Version-1 databases predate fakes.
  sql += has_column(db.db, "candidates", "fake_index") ? "c.fake_index, " : "NULL, ";
  sql += counts.has_host_columns
             ? "c.host_offset, c.host_radius, c.host_mag, c.ref_point_source, "
             : "NULL, NULL, NULL, NULL, ";
  sql += has_fakes ? "EXISTS (SELECT 1 FROM fakes f WHERE f.candidate_id = c.candidate_id), "
                   : "0, ";
  sql += has_subjects ? "s.training, s.truth, s.state, s.verdict " : "NULL, NULL, NULL, NULL ";
  sql += "FROM candidates c JOIN exposures e ON e.exposure_id = c.exposure_id ";
  if (has_subjects) sql += "LEFT JOIN subjects s ON s.candidate_id = c.candidate_id ";
  sql += "WHERE e.state = 'done' ORDER BY c.exposure_id, c.idx";
  Stmt q(db.db, sql.c_str());
  while (q.step()) {
    int col = 0;
    LabelledCandidate l;
    l.group = path + "/" + q.text(col++);
    Candidate& c = l.candidate;
    for (double* v : {&c.snr, &c.mag, &c.mag_err, &c.fwhm, &c.elongation, &c.fwhm_ratio,
                      &c.negative_fraction, &c.sharpness, &c.ref_distance, &c.ref_mag})
      *v = real_or_nan(q, col++);
    c.npix = int(q.integer(col++));
    c.on_mask = q.integer(col++) != 0;
    const std::string route = q.text(col++);
    c.fake_index = q.is_null(col) ? -1 : int(q.integer(col));
    ++col;
    if (counts.has_host_columns) {
      c.host_offset = q.is_null(col) ? 0 : q.real(col);
      c.host_radius = q.is_null(col + 1) ? 0 : q.real(col + 1);
      c.host_mag = q.is_null(col + 2) ? 99 : q.real(col + 2);
      c.ref_point_source = !q.is_null(col + 3) && q.integer(col + 3) != 0;
    } else {
      // Not stored: missing to the trees rather than a false "no host".
      c.host_offset = c.host_radius = c.host_mag = std::numeric_limits<double>::quiet_NaN();
    }
    col += 4;
    const bool fake = q.integer(col++) != 0 || c.fake_index >= 0;
    const bool training = !q.is_null(col) && q.integer(col) != 0;
    const std::string truth = q.text(col + 1), state = q.text(col + 2), verdict = q.text(col + 3);
    if (fake) {
      l.real = true, l.source = "db_fake";
      ++counts.fakes;
    } else if (training && (truth == "real" || truth == "bogus")) {
      l.real = truth == "real", l.source = "db_training_truth";
      ++counts.training_truth;
    } else if (state == "retired" && (verdict == "real" || verdict == "bogus")) {
      l.real = verdict == "real", l.source = "db_verdict";
      ++counts.verdicts;
    } else if (route == "rejected" && !artefact_signature(c).empty()) {
      l.real = false, l.source = "db_artefact";
      ++counts.artefacts;
    } else {
      ++counts.unlabelled;
      continue;
    }
    out.push_back(std::move(l));
  }
  if (!q.status()) return q.status().with_context("reading candidates from " + path);
  return counts;
}

}  // namespace blink::train
