// The volunteer review service through its HTTP API handler (no server):
// sign-up and tokens, the queue, classifications, training feedback, SWAP
// retirement and credit, escalation, leases, account deletion, cutouts.
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <set>

#include "candidate_json.h"
#include "memory_sink.h"
#include "review_store.h"
#include "store.h"
#include "test_support.h"
#include "volunteer_api.h"
#include "volunteer_service.h"

using namespace blink;
using Json = nlohmann::json;
using blink::testing::MemorySink;
using blink::testing::TempDir;

namespace {

// A database with one exposure whose candidates are subjects as asked.
struct Fixture {
  TempDir tmp;
  std::unique_ptr<SqliteStore> store;
  std::unique_ptr<ReviewStore> reviews;
  MemorySink sink;
  double now = 1.8e9;
  double tick = 0;  // the rate limiters' clock: a second per request, so none binds
  std::unique_ptr<VolunteerService> service;
  std::unique_ptr<VolunteerApi> api;
  int exposures = 0;

  explicit Fixture(ReviewSettings settings = no_training()) {
    auto s = SqliteStore::open((tmp.path() / "blink.db").string());
    REQUIRE(s);
    store = std::move(s).value();
    auto r = ReviewStore::open((tmp.path() / "blink.db").string());
    INFO(r.status().message());
    REQUIRE(r);
    reviews = std::move(r).value();
    service = std::make_unique<VolunteerService>(*reviews, *store, sink, nullptr, settings,
                                                 [this] { return now; });
    api = std::make_unique<VolunteerApi>(*service, "", RateLimits{}, [this] { return tick += 1; });
  }

  static ReviewSettings no_training() {
    ReviewSettings s;
    s.training_rate_initial = 0;
    s.training_rate_floor = 0;
    return s;
  }

  // One exposure with `n` subjects; `truth` "real"/"bogus" makes them training subjects.
  std::vector<std::string> add_subjects(int n, double prior = 0.5, const std::string& truth = "") {
    const std::string id = "exp" + std::to_string(++exposures);
    Envelope e{id, ExposureKind::kScience, "F1", "r", 0, 60000.5, 30};
    REQUIRE(store->admit(e, now));
    std::vector<RoutedCandidate> cands;
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) {
      RoutedCandidate r;
      r.candidate_id = candidate_id(id, i);
      r.index = i;
      r.measured.x = 30 + i;
      r.measured.y = 40;
      r.measured.ra = 150.0 + i * 1e-3;
      r.measured.dec = 2.0;
      r.measured.mag = 20.5;
      r.measured.real_bogus = prior;
      r.route = Route::kReview;
      r.route_reason = "test";
      auto t = std::make_shared<CutoutTriplet>();
      t->size = 9;
      t->science.assign(81, 100.f);
      t->reference.assign(81, 90.f);
      t->difference.assign(81, 0.f);
      t->difference[40] = 50.f;
      t->science[0] = std::numeric_limits<float>::quiet_NaN();
      r.cutouts = t;
      r.subject = SubjectSeed{prior, !truth.empty(), truth, truth.empty() ? "" : "It was " + truth, false};
      cands.push_back(r);
      ids.push_back(r.candidate_id);
    }
    REQUIRE(store->finish_science(id, {"zogy", 1.0, now}, cands));
    return ids;
  }

  blink::HttpResponse call(const std::string& method, const std::string& path,
                           const std::string& token = "", const std::string& body = "") {
    HttpRequest req;
    req.method = method;
    req.path = path.substr(0, path.find('?'));
    if (path.find('?') != std::string::npos) req.query = path.substr(path.find('?') + 1);
    req.body = body;
    if (!token.empty()) req.authorization = "Bearer " + token;
    auto r = api->handle(req);
    REQUIRE(r);
    return *r;
  }

  std::string sign_up(const std::string& name = "Ada") {
    auto r = call("POST", "/api/v1/volunteers", "", Json{{"display_name", name}}.dump());
    REQUIRE(r.code == 201);
    return Json::parse(r.body)["token"].get<std::string>();
  }

  Json next(const std::string& token) {
    auto r = call("GET", "/api/v1/next", token);
    INFO(r.body);
    REQUIRE(r.code == 200);
    return Json::parse(r.body);
  }

  blink::HttpResponse classify(const std::string& token, const std::string& id,
                               const std::string& answer, const std::string& comment = "") {
    return call("POST", "/api/v1/classifications", token,
                Json{{"candidate_id", id}, {"answer", answer}, {"comment", comment}}.dump());
  }

  Json me(const std::string& token) {
    auto r = call("GET", "/api/v1/me", token);
    REQUIRE(r.code == 200);
    return Json::parse(r.body);
  }

  // Makes a volunteer skilled: right on `n` real and `n` bogus training subjects.
  void train(const std::string& token, int n) {
    auto reals = add_subjects(n, 0.5, "real");
    auto bogus = add_subjects(n, 0.5, "bogus");
    for (const auto& id : reals) REQUIRE(classify(token, id, "real").code == 201);
    for (const auto& id : bogus) REQUIRE(classify(token, id, "bogus").code == 201);
  }

  int count(const std::string& sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((tmp.path() / "blink.db").c_str(), &db) == SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(st) == SQLITE_ROW);
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
  }
};

}  // namespace

TEST_CASE("volunteers: sign-up hands out a token once and stores only its hash") {
  Fixture f;
  auto r = f.call("POST", "/api/v1/volunteers", "", R"({"display_name": "  Ada  "})");
  REQUIRE(r.code == 201);
  Json j = Json::parse(r.body);
  CHECK(j["display_name"] == "Ada");
  const std::string token = j["token"];
  CHECK(token.size() == 64);
  CHECK(f.count("SELECT COUNT(*) FROM volunteers WHERE token_hash = '" + token + "'") == 0);
  CHECK(f.count("SELECT COUNT(*) FROM volunteers WHERE length(token_hash) = 64") == 1);
  CHECK(f.me(token)["display_name"] == "Ada");
}

TEST_CASE("volunteers: malformed sign-ups are refused with 400") {
  Fixture f;
  CHECK(f.call("POST", "/api/v1/volunteers", "", "not json").code == 400);
  CHECK(f.call("POST", "/api/v1/volunteers", "", "[1,2]").code == 400);
  CHECK(f.call("POST", "/api/v1/volunteers", "", R"({"display_name": ""})").code == 400);
  CHECK(f.call("POST", "/api/v1/volunteers", "", R"({"display_name": 7})").code == 400);
  CHECK(f.call("POST", "/api/v1/volunteers", "", R"({"display_name": "a\u0001b"})").code == 400);
  CHECK(f.call("POST", "/api/v1/volunteers", "",
               Json{{"display_name", std::string(200, 'x')}}.dump())
            .code == 400);
  CHECK(f.call("GET", "/api/v1/volunteers").code == 405);
}

TEST_CASE("volunteers: the queue needs a valid token") {
  Fixture f;
  f.add_subjects(1);
  CHECK(f.call("GET", "/api/v1/next").code == 401);
  CHECK(f.call("GET", "/api/v1/next", std::string(64, 'a')).code == 401);
  CHECK(f.call("GET", "/api/v1/next", "short").code == 401);
  CHECK(f.call("GET", "/api/v1/me", "").code == 401);
}

TEST_CASE("volunteers: next gives a subject with its cutouts, each shown once") {
  Fixture f;
  auto ids = f.add_subjects(3);
  std::string token = f.sign_up();
  std::set<std::string> seen;
  for (int i = 0; i < 3; ++i) {
    Json s = f.next(token)["subject"];
    REQUIRE(s.is_object());
    const std::string id = s["candidate_id"];
    CHECK(seen.insert(id).second);
    CHECK(s["field"] == "F1");
    auto png = f.call("GET", s["cutouts"]["difference"].get<std::string>());
    REQUIRE(png.code == 200);
    CHECK(png.content_type == "image/png");
    CHECK(png.body.substr(1, 3) == "PNG");
    REQUIRE(f.classify(token, id, "bogus").code == 201);
  }
  Json empty = f.next(token);
  CHECK(empty["subject"].is_null());
  CHECK_FALSE(empty["message"].get<std::string>().empty());
}

TEST_CASE("volunteers: reloading the page shows the same leased subject") {
  Fixture f;
  f.add_subjects(3);
  std::string token = f.sign_up();
  const std::string first = f.next(token)["subject"]["candidate_id"];
  CHECK(f.next(token)["subject"]["candidate_id"] == first);
}

TEST_CASE("volunteers: volunteers looking at the same time are shown different subjects") {
  Fixture f;
  f.add_subjects(2);
  std::string ada = f.sign_up("Ada"), bob = f.sign_up("Bob");
  const std::string first = f.next(ada)["subject"]["candidate_id"];
  CHECK(f.next(bob)["subject"]["candidate_id"] != first);  // Ada's lease counts against it
}

TEST_CASE("volunteers: a cutout is drawn once and served the same afterwards") {
  Fixture f;
  f.add_subjects(1);
  const std::string base = "/api/v1/cutouts/exp1%3A0/";
  auto first = f.call("GET", base + "science.png");
  REQUIRE(first.code == 200);
  CHECK(f.call("GET", base + "science.png").body == first.body);
  CHECK(f.call("GET", base + "difference.png").body != first.body);
}

TEST_CASE("volunteers: a lease expires silently and the subject goes to someone else") {
  ReviewSettings settings = Fixture::no_training();
  settings.lease_seconds = 60;
  settings.retirement.max_votes = 1;  // one viewer at a time is enough to retire it
  Fixture f(settings);
  f.add_subjects(1);
  std::string ada = f.sign_up("Ada"), bob = f.sign_up("Bob");
  CHECK(f.next(ada)["subject"].is_object());
  CHECK(f.next(bob)["subject"].is_null());  // Ada's vote alone could retire it
  f.now += 61;
  CHECK(f.next(bob)["subject"].is_object());
  // Ada walked away: nothing counts against her, and she can still answer.
  CHECK(f.me(ada)["classifications"] == 0);
}

TEST_CASE("volunteers: classifying twice, unknown subjects and bad answers are refused") {
  Fixture f;
  auto ids = f.add_subjects(1);
  std::string token = f.sign_up();
  REQUIRE(f.classify(token, ids[0], "real", "bright and round").code == 201);
  CHECK(f.classify(token, ids[0], "bogus").code == 409);
  CHECK(f.classify(token, "nope:1", "real").code == 404);
  CHECK(f.classify(token, ids[0], "maybe").code == 400);
  CHECK(f.call("POST", "/api/v1/classifications", token, R"({"answer": "real"})").code == 400);
  CHECK(f.classify(token, ids[0], "real", std::string(2000, 'x')).code == 400);
  Json me = f.me(token);
  REQUIRE(me["history"].size() == 1);
  CHECK(me["history"][0]["comment"] == "bright and round");
}

TEST_CASE("volunteers: a training subject's truth is told right after the answer") {
  Fixture f;
  auto ids = f.add_subjects(2, 0.5, "real");
  std::string token = f.sign_up();
  Json right = Json::parse(f.classify(token, ids[0], "real").body);
  CHECK(right["feedback"]["truth"] == "real");
  CHECK(right["feedback"]["correct"] == true);
  Json wrong = Json::parse(f.classify(token, ids[1], "bogus").body);
  CHECK(wrong["feedback"]["correct"] == false);
  Json me = f.me(token);
  CHECK(me["skill"]["training_seen"] == 2);
  CHECK_FALSE(me["skill"]["summary"].get<std::string>().empty());
  CHECK(me["history"][0]["feedback"]["truth"] == "real");
}

TEST_CASE("volunteers: a subject's machine score is hidden while it is a training subject") {
  ReviewSettings s = Fixture::no_training();
  Fixture f(s);
  f.add_subjects(1, 0.9, "real");
  std::string token = f.sign_up();
  Json subject = f.next(token)["subject"];  // the only subject is a training one
  REQUIRE(subject.is_object());
  CHECK(subject["real_bogus"].is_null());
}

TEST_CASE("volunteers: skilled votes retire a subject real, credit its discoverers, publish it") {
  Fixture f;
  std::string ada = f.sign_up("Ada"), bob = f.sign_up("Bob"), cy = f.sign_up("Cy");
  for (const auto& t : {ada, bob, cy}) f.train(t, 10);
  auto ids = f.add_subjects(1, 0.5);
  int votes = 0;
  for (const auto& t : {ada, bob, cy}) {
    if (f.count("SELECT COUNT(*) FROM subjects WHERE state = 'retired' AND training = 0") > 0)
      break;
    REQUIRE(f.classify(t, ids[0], "real").code == 201);
    ++votes;
  }
  CHECK(f.count("SELECT COUNT(*) FROM subjects WHERE verdict = 'real'") == 1);
  CHECK(votes <= 3);
  auto messages = f.sink.messages();
  REQUIRE(messages.size() == 1);
  CHECK(messages[0].topic == "candidate.verdict");
  CHECK(messages[0].body["verdict"] == "real");
  CHECK(messages[0].body["posterior"].get<double>() >= 0.99);
  REQUIRE(messages[0].body["discoverers"].size() >= 1);
  CHECK(messages[0].body["discoverers"][0]["display_name"] == "Ada");
  Json me = f.me(ada);
  REQUIRE(me["discoveries"].size() == 1);
  CHECK(me["discoveries"][0]["rank"] == 1);
  CHECK(me["history"][0]["status"] == "retired: real");
}

TEST_CASE("volunteers: a retired verdict teaches every voter's skill, the dissenter's too") {
  auto run = [](double consensus_weight) {
    ReviewSettings s;
    s.consensus_weight = consensus_weight;
    s.training_rate_initial = s.training_rate_floor = 0;
    Fixture f(s);
    std::string ada = f.sign_up("Ada"), bob = f.sign_up("Bob"), cy = f.sign_up("Cy");
    f.train(ada, 10);
    f.train(cy, 10);
    auto ids = f.add_subjects(1, 0.5);
    REQUIRE(f.classify(ada, ids[0], "real").code == 201);
    REQUIRE(f.classify(bob, ids[0], "bogus").code == 201);
    REQUIRE(f.classify(cy, ids[0], "real").code == 201);
    REQUIRE(f.count("SELECT COUNT(*) FROM subjects WHERE verdict = 'real' AND training = 0") == 1);
    auto skill = [&](const std::string& token) { return f.me(token)["skill"]; };
    return std::vector<Json>{skill(ada), skill(bob), skill(cy)};
  };
  const auto learned = run(1.0), training_only = run(0.0);
  // Bob said bogus to what the crowd settled as real: his P(real | real) falls.
  CHECK(learned[1]["real_when_real"].get<double>() < training_only[1]["real_when_real"].get<double>());
  CHECK(learned[1]["bogus_when_bogus"] == training_only[1]["bogus_when_bogus"]);
  // Ada and Cy agreed with the verdict: theirs rises. None of it counts as training.
  for (int k : {0, 2}) {
    CHECK(learned[k]["real_when_real"].get<double>() > training_only[k]["real_when_real"].get<double>());
    CHECK(learned[k]["training_seen"] == 20);
  }
  CHECK(learned[1]["training_seen"] == 0);
}

TEST_CASE("volunteers: the machine's score alone never retires a subject") {
  Fixture f;
  auto ids = f.add_subjects(1, 0.9999);
  std::string newcomer = f.sign_up();
  REQUIRE(f.classify(newcomer, ids[0], "real").code == 201);
  CHECK(f.count("SELECT COUNT(*) FROM subjects WHERE state = 'open' AND training = 0") == 1);
}

TEST_CASE("volunteers: an odd vote from a skilled volunteer escalates instead of retiring") {
  Fixture f;
  std::string ada = f.sign_up("Ada"), newcomer = f.sign_up("Newcomer");
  f.train(ada, 10);
  auto ids = f.add_subjects(2, 0.5);
  REQUIRE(f.classify(newcomer, ids[0], "odd").code == 201);
  CHECK(f.count("SELECT COUNT(*) FROM subjects WHERE state = 'escalated'") == 0);
  REQUIRE(f.classify(ada, ids[1], "odd", "a fuzzy arc").code == 201);
  CHECK(f.count("SELECT COUNT(*) FROM subjects WHERE state = 'escalated'") == 1);
  auto messages = f.sink.messages();
  REQUIRE(messages.size() == 1);
  CHECK(messages[0].body["state"] == "escalated");
}

TEST_CASE("volunteers: deleting an account keeps the votes but forgets the person") {
  Fixture f;
  auto ids = f.add_subjects(2);
  std::string token = f.sign_up("Ada Lovelace");
  REQUIRE(f.classify(token, ids[0], "real").code == 201);
  auto r = f.call("DELETE", "/api/v1/me", token);
  REQUIRE(r.code == 200);
  CHECK(f.call("GET", "/api/v1/me", token).code == 401);
  CHECK(f.count("SELECT COUNT(*) FROM votes") == 1);
  CHECK(f.count("SELECT COUNT(*) FROM volunteers WHERE display_name LIKE '%Ada%'") == 0);
  CHECK(f.count("SELECT COUNT(*) FROM volunteers WHERE token_hash IS NOT NULL") == 0);
}

TEST_CASE("volunteers: votes and skills survive reopening the database") {
  std::string token;
  Fixture f;
  auto ids = f.add_subjects(1, 0.5, "real");
  token = f.sign_up();
  REQUIRE(f.classify(token, ids[0], "real").code == 201);
  f.api.reset();
  f.service.reset();
  f.reviews.reset();
  auto again = ReviewStore::open((f.tmp.path() / "blink.db").string());
  REQUIRE(again);
  f.reviews = std::move(again).value();
  f.service = std::make_unique<VolunteerService>(*f.reviews, *f.store, f.sink, nullptr,
                                                 Fixture::no_training(), [&f] { return f.now; });
  f.api = std::make_unique<VolunteerApi>(*f.service, "", RateLimits{},
                                         [&f] { return f.tick += 1; });
  Json me = f.me(token);
  CHECK(me["classifications"] == 1);
  CHECK(me["skill"]["training_seen"] == 1);
}

TEST_CASE("volunteers: cutout paths are checked") {
  Fixture f;
  auto ids = f.add_subjects(1);
  CHECK(f.call("GET", "/api/v1/cutouts/exp1%3A0/science.png").code == 200);
  CHECK(f.call("GET", "/api/v1/cutouts/exp1%3A0/secret.png").code == 404);
  CHECK(f.call("GET", "/api/v1/cutouts/..%2F..%2Fetc/science.png").code == 400);
  CHECK(f.call("GET", "/api/v1/cutouts/../../etc/passwd").code == 400);
  CHECK(f.call("GET", "/api/v1/cutouts/%zz/science.png").code == 400);
  CHECK(f.call("GET", "/api/v1/cutouts/nobody%3A9/science.png").code == 404);
}

TEST_CASE("volunteers: the classification export is Zooniverse-shaped and for operators only") {
  ReviewSettings s = Fixture::no_training();
  Fixture f(s);
  f.api = std::make_unique<VolunteerApi>(*f.service, "op-secret", RateLimits{},
                                         [&f] { return f.tick += 1; });
  auto ids = f.add_subjects(2);
  std::string ada = f.sign_up("Ada, \"the first\"");
  REQUIRE(f.classify(ada, ids[0], "real", "line one\nline two").code == 201);
  REQUIRE(f.classify(ada, ids[1], "bogus").code == 201);
  CHECK(f.call("GET", "/api/v1/export/classifications.csv?from=0").code == 401);
  CHECK(f.call("GET", "/api/v1/export/classifications.csv?from=0", ada).code == 401);
  auto r = f.call("GET", "/api/v1/export/classifications.csv?from=0", "op-secret");
  REQUIRE(r.code == 200);
  CHECK(r.content_type.rfind("text/csv", 0) == 0);
  CHECK(r.body.rfind("classification_id,user_name,user_id,workflow_name,", 0) == 0);
  CHECK_THAT(r.body, Catch::Contains("\"Ada, \"\"the first\"\"\""));
  CHECK_THAT(r.body, Catch::Contains("line one\\nline two"));  // JSON-escaped inside the cell
  CHECK_THAT(r.body, Catch::Contains(ids[1]));
  int rows = 0;
  for (size_t p = 0; (p = r.body.find("\r\n", p)) != std::string::npos; p += 2) ++rows;
  CHECK(rows == 3);  // header + two votes
  CHECK(f.call("GET", "/api/v1/export/classifications.csv?night=2026-13-01", "op-secret").code ==
        400);
  Fixture no_operator;
  CHECK(no_operator.call("GET", "/api/v1/export/classifications.csv?from=0").code == 403);
}

TEST_CASE("volunteers: an operator erases a volunteer on request; nobody else can") {
  ReviewSettings s = Fixture::no_training();
  Fixture f(s);
  f.api = std::make_unique<VolunteerApi>(*f.service, "op-secret", RateLimits{},
                                         [&f] { return f.tick += 1; });
  auto ids = f.add_subjects(1);
  std::string ada = f.sign_up("Ada");
  REQUIRE(f.classify(ada, ids[0], "real").code == 201);
  auto me = Json::parse(f.call("GET", "/api/v1/me", ada).body);
  const std::string path = "/api/v1/volunteers/" + std::to_string(me["volunteer_id"].get<int64_t>());
  CHECK(f.call("DELETE", path).code == 401);
  CHECK(f.call("DELETE", path, ada).code == 401);  // a volunteer's token is not the operator's
  CHECK(f.call("GET", path, "op-secret").code == 405);
  CHECK(f.call("DELETE", "/api/v1/volunteers/x1", "op-secret").code == 400);
  CHECK(f.call("DELETE", "/api/v1/volunteers/999999", "op-secret").code == 404);
  auto r = f.call("DELETE", path, "op-secret");
  REQUIRE(r.code == 200);
  CHECK(Json::parse(r.body)["erased"] == true);
  CHECK(f.call("GET", "/api/v1/me", ada).code == 401);  // the token is gone
  // The vote stays, anonymised, in the export.
  auto csv = f.call("GET", "/api/v1/export/classifications.csv?from=0", "op-secret");
  CHECK_THAT(csv.body, Catch::Contains(ids[0]));
  CHECK_THAT(csv.body, !Catch::Contains("Ada"));
  Fixture no_operator;
  CHECK(no_operator.call("DELETE", path).code == 403);
}

TEST_CASE("volunteers: the night report gives vote shares, agreement and a Dawid-Skene check") {
  Fixture f;
  std::string ada = f.sign_up("Ada"), bob = f.sign_up("Bob");
  auto ids = f.add_subjects(4);
  for (const auto& id : ids) {
    REQUIRE(f.classify(ada, id, "real").code == 201);
    REQUIRE(f.classify(bob, id, id == ids[3] ? "bogus" : "real").code == 201);
  }
  auto r = f.call("GET", "/api/v1/reports/votes?from=0");
  REQUIRE(r.code == 200);
  Json j = Json::parse(r.body);
  CHECK(j["votes"] == 8);
  CHECK(j["answers_percent"]["real"].get<double>() == Approx(87.5));
  CHECK(j["pairwise_agreement"].get<double>() == Approx(0.75));
  CHECK(j["dawid_skene"]["iterations"].get<int>() >= 1);
  auto svg = f.call("GET", "/api/v1/reports/votes.svg?from=0");
  REQUIRE(svg.code == 200);
  CHECK(svg.content_type == "image/svg+xml");
  CHECK_THAT(svg.body, Catch::Contains("<rect"));
  CHECK(f.call("GET", "/api/v1/reports/votes").code == 400);
}

TEST_CASE("volunteers: floods get 429 with Retry-After, and the limit refills") {
  Fixture f;
  double clock = 0;
  f.api = std::make_unique<VolunteerApi>(*f.service, "", RateLimits{20, 10, 10},
                                         [&clock] { return clock; });
  f.add_subjects(1);
  std::string token = f.sign_up();
  int ok = 0, limited = 0;
  std::string retry;
  for (int i = 0; i < 100; ++i) {
    auto r = f.call("GET", "/api/v1/next", token);
    if (r.code == 200) ++ok;
    if (r.code == 429) {
      ++limited;
      retry = r.extra_headers;
    }
  }
  CHECK(ok == 30);  // the per-volunteer burst: three seconds at 10 per second
  CHECK(limited == 70);
  CHECK_THAT(retry, Catch::Contains("Retry-After: 1"));
  clock += 1;
  CHECK(f.call("GET", "/api/v1/next", token).code == 200);
  // Sign-ups: five at once from one address, then one per six minutes.
  for (int i = 0; i < 4; ++i)
    CHECK(f.call("POST", "/api/v1/volunteers", "", R"({"display_name": "x"})").code == 201);
  CHECK(f.call("POST", "/api/v1/volunteers", "", R"({"display_name": "x"})").code == 429);
  clock += 360;
  CHECK(f.call("POST", "/api/v1/volunteers", "", R"({"display_name": "x"})").code == 201);
}

TEST_CASE("volunteers: a skipped subject is not offered again on that visit, at no cost") {
  Fixture f;
  f.add_subjects(2);
  std::string token = f.sign_up();
  const std::string first = f.next(token)["subject"]["candidate_id"];
  auto r = f.call("GET", "/api/v1/next?exclude=" + first, token);
  REQUIRE(r.code == 200);
  Json second = Json::parse(r.body)["subject"];
  REQUIRE(second.is_object());
  CHECK(second["candidate_id"] != first);
  CHECK(f.me(token)["classifications"] == 0);
}
