// The SQLite store: admission and duplicates, resuming after a crash,
// idempotent candidates, references, queries and integrity.
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <cmath>

#include "candidate_json.h"
#include "store.h"
#include "test_support.h"

using namespace blink;
using namespace blink::testing;

namespace {

Envelope envelope(const std::string& id, ExposureKind kind = ExposureKind::kScience) {
  return Envelope{.exposure_id = id,
                  .kind = kind,
                  .field = "F0001",
                  .band = "r",
                  .ccd = 3,
                  .mjd_obs = 60000.25,
                  .exptime_s = 30};
}

std::unique_ptr<SqliteStore> open_store(const TempDir& tmp) {
  auto s = SqliteStore::open((tmp.path() / "blink.db").string());
  INFO(s.status().message());
  REQUIRE(s);
  return std::move(s).value();
}

std::vector<RoutedCandidate> candidates(const std::string& exposure_id, int n, double rb = 0.5) {
  std::vector<RoutedCandidate> out;
  for (int i = 0; i < n; ++i) {
    RoutedCandidate r;
    r.candidate_id = candidate_id(exposure_id, i);
    r.index = i;
    r.measured.x = 10 + i;
    r.measured.y = 20 + i;
    r.measured.flux = 1000 * (i + 1);
    r.measured.real_bogus = rb;
    r.route = i == 0 ? Route::kAlert : Route::kReview;
    r.route_reason = "test";
    out.push_back(r);
  }
  return out;
}

}  // namespace

TEST_CASE("store: an admitted exposure is found, and admitting it again is refused") {
  TempDir tmp;
  auto store = open_store(tmp);
  auto before = store->exposure_state("e1");
  REQUIRE(before);
  CHECK_FALSE(before->has_value());
  REQUIRE(store->admit(envelope("e1"), 1000.5));
  auto after = store->exposure_state("e1");
  REQUIRE(after);
  CHECK(**after == ExposureState::kAccepted);
  Status again = store->admit(envelope("e1"), 1001);
  CHECK_FALSE(again);
  CHECK(again.code() == Status::Code::kInvalidArgument);
}

TEST_CASE("store: a rejected exposure may be sent again") {
  TempDir tmp;
  auto store = open_store(tmp);
  REQUIRE(store->admit(envelope("e1"), 1000));
  REQUIRE(store->record_rejection(envelope("e1"), 1000,
                                  {RejectReason::kNoReference, "no reference"}, 1001));
  auto rows = store->recent_exposures(5);
  REQUIRE(rows);
  REQUIRE(rows->size() == 1);
  CHECK((*rows)[0].state == ExposureState::kRejected);
  CHECK((*rows)[0].reject_reason == "no_reference");
  CHECK((*rows)[0].error == "no reference");
  REQUIRE(store->admit(envelope("e1"), 1002));
  CHECK(**store->exposure_state("e1") == ExposureState::kAccepted);
}

TEST_CASE("store: after a crash the unfinished exposures are listed oldest first") {
  TempDir tmp;
  {
    auto store = open_store(tmp);
    REQUIRE(store->admit(envelope("a"), 100));
    REQUIRE(store->admit(envelope("b"), 101));
    REQUIRE(store->admit(envelope("c"), 102));
    REQUIRE(store->mark_processing("b"));
    REQUIRE(store->mark_processing("a"));
    REQUIRE(store->finish_science("a", {"zogy", 1.02, 110}, candidates("a", 2)));
    // The process dies here: no clean shutdown beyond closing the handle.
  }
  auto store = open_store(tmp);
  auto unfinished = store->unfinished_exposures();
  REQUIRE(unfinished);
  REQUIRE(unfinished->size() == 2);
  CHECK((*unfinished)[0].envelope.exposure_id == "b");
  CHECK((*unfinished)[0].state == ExposureState::kProcessing);
  CHECK((*unfinished)[1].envelope.exposure_id == "c");
  CHECK((*unfinished)[1].envelope.field == "F0001");
  CHECK((*unfinished)[1].envelope.ccd == 3);
  CHECK((*unfinished)[1].envelope.mjd_obs == 60000.25);
  CHECK(store->integrity_check());
}

TEST_CASE("store: finishing twice replaces the candidates instead of adding to them") {
  TempDir tmp;
  auto store = open_store(tmp);
  REQUIRE(store->admit(envelope("e1"), 100));
  REQUIRE(store->finish_science("e1", {"zogy", 1.1, 110}, candidates("e1", 3)));
  REQUIRE(store->finish_science("e1", {"zogy", 1.1, 120}, candidates("e1", 2)));
  auto rows = store->candidates_of("e1");
  REQUIRE(rows);
  REQUIRE(rows->size() == 2);
  CHECK((*rows)[0].candidate_id == "e1:0");
  CHECK((*rows)[1].candidate_id == "e1:1");
  CHECK((*rows)[1].measured.flux == 2000);
  auto exposures = store->recent_exposures(1);
  REQUIRE(exposures);
  CHECK((*exposures)[0].state == ExposureState::kDone);
  CHECK((*exposures)[0].n_candidates == 2);
  CHECK((*exposures)[0].method == "zogy");
  CHECK((*exposures)[0].noise_ratio == Approx(1.1));
}

TEST_CASE("store: a failed transaction leaves no partial candidates") {
  TempDir tmp;
  auto store = open_store(tmp);
  REQUIRE(store->admit(envelope("e1"), 100));
  REQUIRE(store->finish_science("e1", {"zogy", 1.0, 110}, candidates("e1", 2)));
  auto dup = candidates("e1", 3);
  dup[2].candidate_id = dup[1].candidate_id;  // violates the primary key mid-way
  CHECK_FALSE(store->finish_science("e1", {"zogy", 1.0, 120}, dup));
  auto rows = store->candidates_of("e1");
  REQUIRE(rows);
  CHECK(rows->size() == 2);  // the earlier, committed set
  // Finishing an exposure without a row is refused, and nothing is kept.
  CHECK_FALSE(store->finish_science("ghost", {"zogy", 1.0, 120}, candidates("ghost", 1)));
  CHECK(store->candidates_of("ghost")->empty());
}

TEST_CASE("store: measured values survive the round trip, NaN included") {
  TempDir tmp;
  auto store = open_store(tmp);
  REQUIRE(store->admit(envelope("e1"), 100));
  auto c = candidates("e1", 1);
  c[0].measured.ra = 150.123456789;
  c[0].measured.mag = std::nan("");
  c[0].measured.on_mask = true;
  c[0].measured.npix = 17;
  REQUIRE(store->finish_science("e1", {"alard-lupton", 0.98, 110}, c));
  auto back = store->candidates_of("e1");
  REQUIRE(back);
  REQUIRE(back->size() == 1);
  CHECK((*back)[0].measured.ra == 150.123456789);
  CHECK(std::isnan((*back)[0].measured.mag));
  CHECK((*back)[0].measured.on_mask);
  CHECK((*back)[0].measured.npix == 17);
  CHECK((*back)[0].route == Route::kAlert);
}

TEST_CASE("store: newest candidates first, filtered by route, limited") {
  TempDir tmp;
  auto store = open_store(tmp);
  REQUIRE(store->admit(envelope("e1"), 100));
  REQUIRE(store->admit(envelope("e2"), 101));
  REQUIRE(store->finish_science("e1", {"zogy", 1.0, 110}, candidates("e1", 3)));
  REQUIRE(store->finish_science("e2", {"zogy", 1.0, 111}, candidates("e2", 3)));
  auto all = store->recent_candidates(std::nullopt, 10);
  REQUIRE(all);
  REQUIRE(all->size() == 6);
  CHECK((*all)[0].candidate.candidate_id == "e2:2");
  CHECK((*all)[0].exposure.exposure_id == "e2");
  CHECK((*all)[0].exposure.band == "r");
  CHECK((*all)[0].method == "zogy");
  auto alerts = store->recent_candidates(Route::kAlert, 10);
  REQUIRE(alerts);
  REQUIRE(alerts->size() == 2);
  CHECK((*alerts)[0].candidate.candidate_id == "e2:0");
  auto review = store->recent_candidates(Route::kReview, 3);
  REQUIRE(review);
  CHECK(review->size() == 3);
}

TEST_CASE("store: a newer reference replaces the older one of its key") {
  TempDir tmp;
  auto store = open_store(tmp);
  REQUIRE(store->admit(envelope("ref1", ExposureKind::kReference), 100));
  REQUIRE(store->finish_reference("ref1", {"reference", std::nan(""), 101},
                                  {"F0001", "r", 3, "ref1", "/p/1", 101}));
  REQUIRE(store->admit(envelope("ref2", ExposureKind::kReference), 102));
  REQUIRE(store->finish_reference("ref2", {"reference", std::nan(""), 103},
                                  {"F0001", "r", 3, "ref2", "/p/1", 103}));
  auto refs = store->references();
  REQUIRE(refs);
  REQUIRE(refs->size() == 1);
  CHECK((*refs)[0].exposure_id == "ref2");
  CHECK((*refs)[0].ccd == 3);
}

TEST_CASE("store: the database is in WAL mode, versioned and passes integrity_check") {
  TempDir tmp;
  auto store = open_store(tmp);
  REQUIRE(store->admit(envelope("e1"), 100));
  CHECK(std::filesystem::exists(tmp.path() / "blink.db-wal"));
  CHECK(SqliteStore::schema_version() == 3);
  CHECK(store->integrity_check());
}

TEST_CASE("store: a version-1 database is migrated and keeps its candidates") {
  TempDir tmp;
  const std::string path = (tmp.path() / "blink.db").string();
  {
    auto store = open_store(tmp);
    REQUIRE(store->admit(envelope("e1"), 100));
    REQUIRE(store->finish_science("e1", {"zogy", 1.0, 110}, candidates("e1", 2)));
  }
  // Back to what a version-1 blinkd left: no review tables, no fake_index.
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  const char* downgrade =
      "DROP TABLE cutouts; DROP TABLE fakes; DROP TABLE subjects; DROP TABLE volunteers; "
      "DROP TABLE votes; DROP TABLE discoverers; "
      "ALTER TABLE candidates DROP COLUMN fake_index; UPDATE schema_version SET version = 1; "
      // and none of version 3's objects and columns
      "DROP TABLE objects; DROP INDEX candidates_by_object; ALTER TABLE exposures DROP COLUMN limiting_mag; "
      "ALTER TABLE candidates DROP COLUMN object_id; "
      "ALTER TABLE candidates DROP COLUMN model_version; "
      "ALTER TABLE candidates DROP COLUMN class; "
      "ALTER TABLE candidates DROP COLUMN p_supernova; "
      "ALTER TABLE candidates DROP COLUMN p_variable; "
      "ALTER TABLE candidates DROP COLUMN p_moving; "
      "ALTER TABLE candidates DROP COLUMN p_nuclear; "
      "ALTER TABLE candidates DROP COLUMN p_artefact; "
      "ALTER TABLE candidates DROP COLUMN anomaly; "
      "ALTER TABLE candidates DROP COLUMN host_ra; "
      "ALTER TABLE candidates DROP COLUMN host_dec; "
      "ALTER TABLE candidates DROP COLUMN host_offset; "
      "ALTER TABLE candidates DROP COLUMN host_radius; "
      "ALTER TABLE candidates DROP COLUMN host_mag; "
      "ALTER TABLE candidates DROP COLUMN ref_point_source; "
      "ALTER TABLE candidates DROP COLUMN motion; "
      "ALTER TABLE candidates DROP COLUMN tracklet; "
      "ALTER TABLE candidates DROP COLUMN anomaly_features;";
  char* err = nullptr;
  CHECK(sqlite3_exec(db, downgrade, nullptr, nullptr, &err) == SQLITE_OK);
  if (err) FAIL(err);
  sqlite3_close(db);

  auto store = open_store(tmp);
  auto rows = store->candidates_of("e1");
  REQUIRE(rows);
  CHECK(rows->size() == 2);
  CHECK((*rows)[0].measured.fake_index == -1);
  REQUIRE(store->admit(envelope("e2"), 120));
  auto c = candidates("e2", 1);
  c[0].subject = SubjectSeed{0.5, false, "", "", false};
  c[0].history.object_id = "e1:0";
  c[0].classes.p = {0.7, 0.1, 0.1, 0.05, 0.05};
  CHECK(store->finish_science("e2", {"zogy", 1.0, 130}, c));
  CHECK(store->integrity_check());
  // Version 3's columns and objects are there and written.
  auto again = store->candidates_of("e2");
  REQUIRE(again);
  CHECK((*again)[0].history.object_id == "e1:0");
  CHECK((*again)[0].classes.best() == CandidateClass::kSupernova);
}

TEST_CASE("store: a database from a newer blinkd is refused") {
  TempDir tmp;
  const std::string path = (tmp.path() / "blink.db").string();
  { auto store = open_store(tmp); }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  CHECK(sqlite3_exec(db, "INSERT INTO schema_version VALUES (99)", nullptr, nullptr, nullptr) ==
        SQLITE_OK);
  sqlite3_close(db);
  auto again = SqliteStore::open(path);
  REQUIRE_FALSE(again);
  CHECK_THAT(again.status().message(), Catch::Contains("newer"));
}
