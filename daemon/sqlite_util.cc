#include "sqlite_util.h"

namespace blink {

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


}  // namespace blink
