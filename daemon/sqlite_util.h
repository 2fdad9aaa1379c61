// The one adapter between Blink and SQLite's C API: result codes become
// Status here and nowhere else. Used by the stores (store.cc, review_store.cc).
#pragma once

#include <sqlite3.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "status.h"

namespace blink {

// The Status for SQLite's latest error on `db`, prefixed with what was being done.
Status sql_error(sqlite3* db, const std::string& doing);

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
  Stmt& bind_blob(const void* data, size_t bytes) {
    return check(sqlite3_bind_blob64(stmt_, ++arg_, data, bytes, SQLITE_TRANSIENT));
  }
  Stmt& bind_null() { return check(sqlite3_bind_null(stmt_, ++arg_)); }
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
  bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::string blob(int col) const {
    auto p = static_cast<const char*>(sqlite3_column_blob(stmt_, col));
    return p ? std::string(p, size_t(sqlite3_column_bytes(stmt_, col))) : "";
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

// Runs one or more statements with no results.
Status exec(sqlite3* db, const char* sql);

// BEGIN IMMEDIATE ... COMMIT, rolled back unless commit() succeeds.
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db), status_(exec(db, "BEGIN IMMEDIATE")) {}
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
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

// Opens a connection with a busy timeout and extended result codes; the
// caller serialises its use (SQLITE_OPEN_NOMUTEX).
Result<sqlite3*> open_connection(const std::string& path, bool read_only);

}  // namespace blink
