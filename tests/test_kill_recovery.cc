// Durability under SIGKILL, on the real binaries. A camera client streams a
// simulated night into blinkd while volunteers classify over HTTP, and blinkd
// is killed with SIGKILL at twenty moments (while exposures are processed,
// while it recovers, while votes are cast) and restarted on the same state
// folder each time. At the end every exposure was processed exactly once, no
// candidate is duplicated, every acknowledged vote is stored exactly once,
// what votes change (skills, posteriors, verdicts) agrees with the votes,
// nothing is left in the spool and the database passes its integrity check.
// Randomness is only in the kill moments (a fixed seed); the checks are
// invariants that hold whatever the moments were.
#include <sqlite3.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <zmq.hpp>

#include "daemon_fixture.h"
#include "survey.h"

using namespace blink::testing;
using namespace std::chrono_literals;
using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

// 4 references then 32 science exposures: a few seconds of processing at 512².
constexpr int kFields = 4, kEpochs = 8, kSize = 512;
constexpr int kKills = 20, kNightKills = 14;  // the rest while volunteers finish voting
constexpr auto kScienceInterval = 250ms;      // the camera's cadence
constexpr auto kDeadline = 300s;              // a hang guard: it takes about 25 s on 2 cores

struct Exposure {
  std::string id, kind, envelope;
  std::vector<uint8_t> fits;
};

std::vector<Exposure> render_night(uint64_t seed) {
  blink::sim::SimConfig c;
  c.seed = seed;
  c.fields = kFields;
  c.epochs = kEpochs;
  c.width = c.height = kSize;
  blink::sim::SurveySimulator sim(c);
  std::vector<Exposure> night;
  blink::sim::SimExposure e;
  while (sim.next(e)) {
    auto fits = blink::sim::to_fits(e);
    REQUIRE(fits);
    night.push_back({e.exposure_id, e.kind, blink::sim::envelope_json(e), std::move(fits).value()});
  }
  REQUIRE(sim.status());
  return night;
}

// FNV-1a, so that the volunteers' answers do not depend on the library's std::hash.
uint64_t fnv(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

// A JSON body, or nullopt when the request failed or a kill cut the body short.
std::optional<Json> get_json(int port, const std::string& path) {
  auto r = http_get(port, path);
  if (r.status != 200) return std::nullopt;
  auto j = Json::parse(r.body, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  return j;
}

// Exposure id -> state, as blinkd's API tells it.
std::optional<std::map<std::string, std::string>> exposure_states(int http) {
  auto j = get_json(http, "/api/v1/exposures?limit=500");
  if (!j) return std::nullopt;
  std::map<std::string, std::string> out;
  for (const auto& e : j->value("exposures", Json::array()))
    out[e.at("exposure_id").get<std::string>()] = e.at("state").get<std::string>();
  return out;
}

int count_in_state(const std::map<std::string, std::string>& states, const std::string& state) {
  int n = 0;
  for (const auto& [id, s] : states) n += s == state;
  return n;
}

// A camera's client as one would write it against PUSH/PULL, which has no
// acknowledgement: it sends each exposure once, learns from GET
// /api/v1/exposures which ones blinkd made durable, and when it notices a
// restart (the API unreachable, or its uptime going back) it reconnects and
// sends again, in order, every exposure not yet durable; one unacknowledged
// for 3 s is sent again too. Science waits until every reference is durable,
// as references are taken before the night. Runs on its own thread.
// replay_night() is the same camera after losing its own records: it sends
// the whole night again, which blinkd must refuse id by id as duplicates.
class Camera {
 public:
  Camera(const std::vector<Exposure>& night, int ingest_port, int http_port)
      : night_(night),
        endpoint_("tcp://127.0.0.1:" + std::to_string(ingest_port)),
        http_(http_port) {}

  void run(const std::atomic<bool>& stop) {
    connect();
    size_t references = 0;
    while (references < night_.size() && night_[references].kind == "reference") ++references;
    std::set<size_t> issued;  // handed to the outbox at least once
    std::deque<size_t> outbox;
    std::map<size_t, Clock::time_point> sent_at;
    std::set<std::string> durable;  // a row exists: accepted, processing, done (or rejected)
    size_t next_new = 0;
    auto last_poll = Clock::time_point(), last_science = Clock::time_point();
    double last_uptime = -1;
    bool lost_contact = false;
    while (!stop.load()) {
      const auto now = Clock::now();
      if (now - last_poll >= 100ms) {
        last_poll = now;
        auto status = get_json(http_, "/api/v1/status");
        auto states = status ? exposure_states(http_) : std::nullopt;
        if (!status || !states) {
          lost_contact = true;
        } else {
          for (const auto& [id, state] : *states) durable.insert(id);
          const double uptime = status->value("uptime_s", 0.0);
          if (lost_contact || uptime < last_uptime) {
            // A new blinkd: what the old one had not made durable is gone.
            connect();
            ++reconnects;
            outbox.clear();
            for (size_t i : issued)
              if (!durable.count(night_[i].id)) outbox.push_back(i);
          }
          last_uptime = uptime;
          lost_contact = false;
          if (durable.size() >= night_.size()) {
            all_durable.store(true);
            return;
          }
        }
      }
      for (auto& [i, at] : sent_at) {
        if (durable.count(night_[i].id) || now - at < 3s) continue;
        if (std::find(outbox.begin(), outbox.end(), i) == outbox.end()) outbox.push_back(i);
        at = now;
      }
      if (next_new < night_.size()) {
        bool references_durable = true;
        for (size_t i = 0; i < references; ++i)
          references_durable &= durable.count(night_[i].id) > 0;
        if (next_new < references ||
            (references_durable && now - last_science >= kScienceInterval)) {
          if (next_new >= references) last_science = now;
          issued.insert(next_new);
          outbox.push_back(next_new++);
        }
      }
      if (outbox.empty()) {
        std::this_thread::sleep_for(10ms);
        continue;
      }
      const size_t i = outbox.front();
      if (durable.count(night_[i].id)) {
        outbox.pop_front();
        continue;
      }
      if (send(night_[i])) {
        outbox.pop_front();
        (sent_at.count(i) ? resends : sends) += 1;
        sent_at[i] = Clock::now();
      }
    }
  }

  // Sends every exposure once more, in order, whatever blinkd has of it.
  void replay_night(const std::atomic<bool>& stop) {
    for (const Exposure& e : night_) {
      while (!stop.load() && !send(e)) {
      }
      if (stop.load()) return;
      ++replayed;
    }
  }

  std::atomic<bool> all_durable{false};
  // Read after the thread ended.
  int sends = 0, resends = 0, reconnects = 0, replayed = 0;

 private:
  // A fresh PUSH socket; the old one's queue is dropped (linger 0).
  void connect() {
    socket_.reset();
    socket_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::push);
    socket_->set(zmq::sockopt::linger, 0);
    socket_->set(zmq::sockopt::sndhwm, 4);
    socket_->set(zmq::sockopt::immediate, 1);   // queue nothing for a daemon that is not there
    socket_->set(zmq::sockopt::sndtimeo, 100);  // stay responsive while blinkd is down
    socket_->connect(endpoint_);
  }

  // False when nobody took it within 100 ms.
  bool send(const Exposure& e) {
    if (!socket_->send(zmq::buffer(e.envelope), zmq::send_flags::sndmore)) return false;
    socket_->send(zmq::buffer(e.fits), zmq::send_flags::none);  // later parts always go
    return true;
  }

  const std::vector<Exposure>& night_;
  const std::string endpoint_;
  const int http_;
  zmq::context_t context_;
  std::unique_ptr<zmq::socket_t> socket_;
};

// What the volunteers were told. A vote is acknowledged by a 201, or by a 409
// on a retry (an earlier attempt, whose answer the kill swallowed, had
// committed). A vote is unknown when no attempt was answered and the retry
// found the subject gone (404): it may or may not have committed.
struct Ledger {
  std::mutex mutex;
  std::set<std::pair<int64_t, std::string>> acknowledged, unknown;
  std::vector<std::string> anomalies;  // answers a correct blinkd never gives
  int unanswered = 0;                  // attempts a kill cut off (then retried)
  int server_errors = 0;               // 5xx answers (then retried)
  int signups_lost = 0;
  int acknowledged_on_retry = 0;           // 409 on a retry: the kill came after the commit
  std::atomic<bool> thread_failed{false};  // a client thread threw; see anomalies

  void acknowledge(int64_t volunteer, const std::string& candidate) {
    std::lock_guard lock(mutex);
    if (!acknowledged.insert({volunteer, candidate}).second)
      anomalies.push_back("vote acknowledged twice: volunteer " + std::to_string(volunteer) +
                          " on " + candidate);
  }
  void anomaly(const std::string& what) {
    std::lock_guard lock(mutex);
    anomalies.push_back(what);
  }
  size_t acknowledged_count() {
    std::lock_guard lock(mutex);
    return acknowledged.size();
  }
};

// A volunteer on the HTTP API: signs up, then asks for the next subject and
// classifies it, retrying a classification whose answer a kill swallowed
// until blinkd answers. Runs on its own thread.
class Volunteer {
 public:
  Volunteer(std::string name, int http_port, Ledger& ledger, std::chrono::milliseconds think)
      : name_(std::move(name)), http_(http_port), ledger_(ledger), think_(think) {}

  void run(const std::atomic<bool>& stop, const std::atomic<bool>& night_done) {
    while (!stop.load() && !sign_up()) std::this_thread::sleep_for(50ms);
    std::string pending, answer;  // a classification not answered yet
    int attempts = 0;
    while (!stop.load()) {
      if (pending.empty()) {
        auto r = http_request(http_, "GET", "/api/v1/next", "", auth());
        auto j = Json::parse(r.body, nullptr, false);
        if (r.status != 200 || !j.is_object()) {
          if (r.status == 429) std::this_thread::sleep_for(1s);  // Retry-After: 1
          if (r.status != 0 && r.status != 200 && r.status != 429)
            ledger_.anomaly("GET /next answered " + std::to_string(r.status) + ": " + r.body);
          std::this_thread::sleep_for(50ms);
          continue;
        }
        if (j["subject"].is_null()) {
          if (night_done.load()) exhausted.store(true);
          std::this_thread::sleep_for(50ms);
          continue;
        }
        pending = j["subject"].at("candidate_id").get<std::string>();
        const uint64_t h = fnv(name_ + "/" + pending) % 20;
        answer = h == 0 ? "odd" : h < 10 ? "real" : "bogus";
        attempts = 0;
        std::this_thread::sleep_for(think_);
      }
      Json body = {{"candidate_id", pending}, {"answer", answer}};
      auto r = http_request(http_, "POST", "/api/v1/classifications", body.dump(), auth());
      if (r.status == 429) {  // refused before anything was recorded: not an attempt
        std::this_thread::sleep_for(1s);
        continue;
      }
      ++attempts;
      if (r.status == 0 || r.status >= 500) {
        std::lock_guard lock(ledger_.mutex);
        (r.status == 0 ? ledger_.unanswered : ledger_.server_errors) += 1;
      }
      if (r.status == 0 || r.status >= 500) {
        std::this_thread::sleep_for(50ms);
        continue;
      }
      if (r.status == 201 || (r.status == 409 && attempts > 1)) {
        ledger_.acknowledge(id_, pending);
        if (r.status == 409) {
          std::lock_guard lock(ledger_.mutex);
          ledger_.acknowledged_on_retry += 1;
        }
      } else if (r.status == 404 && attempts > 1) {
        std::lock_guard lock(ledger_.mutex);
        ledger_.unknown.insert({id_, pending});
      } else if (r.status != 404) {  // 404 at once: retired by others since /next
        ledger_.anomaly("classifying " + pending + " answered " + std::to_string(r.status) +
                        " on attempt " + std::to_string(attempts) + ": " + r.body);
      }
      pending.clear();
    }
    if (!pending.empty() && attempts > 0) {
      std::lock_guard lock(ledger_.mutex);
      ledger_.unknown.insert({id_, pending});
    }
  }

  std::atomic<bool> exhausted{false};  // found nothing to classify after the night was done

 private:
  bool sign_up() {
    auto r =
        http_request(http_, "POST", "/api/v1/volunteers", Json{{"display_name", name_}}.dump());
    auto j = Json::parse(r.body, nullptr, false);
    if (r.status == 201 && j.is_object() && j.contains("token")) {
      token_ = j["token"].get<std::string>();
      id_ = j["volunteer_id"].get<int64_t>();
      return true;
    }
    if (r.status == 201 || r.status == 0) {  // maybe signed up, but the token is lost: again
      std::lock_guard lock(ledger_.mutex);
      ledger_.signups_lost += 1;
    } else if (r.status == 429) {
      std::this_thread::sleep_for(1s);
    } else {
      ledger_.anomaly("sign-up answered " + std::to_string(r.status) + ": " + r.body);
    }
    return false;
  }
  std::string auth() const { return "Authorization: Bearer " + token_ + "\r\n"; }

  const std::string name_;
  const int http_;
  Ledger& ledger_;
  const std::chrono::milliseconds think_;
  std::string token_;
  int64_t id_ = 0;
};

// Read-only queries on the state folder's database once blinkd has stopped.
class Db {
 public:
  explicit Db(const std::filesystem::path& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
      sqlite3_close(db_);
      db_ = nullptr;
    }
  }
  ~Db() { sqlite3_close(db_); }
  bool ok() const { return db_ != nullptr; }

  // Every row, NULL as "NULL"; a failing statement as one row "ERROR: ...".
  std::vector<std::vector<std::string>> rows(const std::string& sql) {
    std::vector<std::vector<std::string>> out;
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK)
      return {{"ERROR: " + std::string(sqlite3_errmsg(db_))}};
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      std::vector<std::string> row;
      for (int c = 0; c < sqlite3_column_count(st); ++c) {
        auto* text = sqlite3_column_text(st, c);
        row.push_back(text ? reinterpret_cast<const char*>(text) : "NULL");
      }
      out.push_back(std::move(row));
    }
    if (rc != SQLITE_DONE) out.push_back({"ERROR: " + std::string(sqlite3_errmsg(db_))});
    sqlite3_finalize(st);
    return out;
  }
  // The first column of every row, joined: what a "find the violations" query found.
  std::string found(const std::string& sql) {
    std::string out;
    for (const auto& row : rows(sql)) out += (out.empty() ? "" : ", ") + row.at(0);
    return out;
  }
  long long count(const std::string& sql) {
    auto r = rows(sql);
    return r.size() == 1 && r[0].size() == 1 ? std::atoll(r[0][0].c_str()) : -1;
  }

 private:
  sqlite3* db_ = nullptr;
};

// How the kill moments are chosen.
enum class Moment {
  kProcessing,  // once an exposure is in flight, within 100 ms
  kAnytime,     // 50-600 ms after the gate
  kRecovery,    // 20-500 ms after the restart, before or just after READY
  kVoting,      // after the night, once volunteers cast a few more votes
};
struct Kill {
  Moment moment;
  int done_gate = 0;   // night kills: exposures done before it arms
  int votes_gate = 0;  // voting kills: acknowledged votes since the last restart
  std::chrono::milliseconds delay{0};
};

std::vector<Kill> plan_kills(uint64_t seed, int exposures) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  auto ms = [&](int lo, int hi) { return std::chrono::milliseconds(lo + int(u(rng) * (hi - lo))); };
  std::vector<Kill> plan;
  for (int k = 0; k < kNightKills; ++k) {
    Kill kill;
    const double x = u(rng);
    kill.moment = k > 0 && x < 0.15 ? Moment::kRecovery
                  : x < 0.65        ? Moment::kProcessing
                                    : Moment::kAnytime;
    kill.done_gate = int((k + 0.1 + 0.8 * u(rng)) * (exposures - 2) / kNightKills);
    kill.delay = kill.moment == Moment::kRecovery  ? ms(20, 500)
                 : kill.moment == Moment::kAnytime ? ms(50, 600)
                                                   : ms(0, 100);
    plan.push_back(kill);
  }
  for (int k = kNightKills; k < kKills; ++k)
    plan.push_back({Moment::kVoting, 0, 3 + int(u(rng) * 12), ms(0, 30)});
  return plan;
}

std::string seconds_since(Clock::time_point t) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", std::chrono::duration<double>(Clock::now() - t).count());
  return buf;
}

// Every "exposure=<id> kind=..." line: the one line a worker logs after it
// stored an exposure's outcome (never for a rejection).
std::map<std::string, int> finished_lines(const std::string& log, int* resumed) {
  std::map<std::string, int> out;
  std::stringstream ss(log);
  for (std::string line; std::getline(ss, line);) {
    // "<6>exposure=<id> kind=science ...": the line starts with the field.
    const size_t at = line.find('>') + 1;
    if (line.compare(at, 9, "exposure=") != 0) continue;
    const size_t space = line.find(' ', at);
    if (space == std::string::npos) continue;
    const std::string rest = line.substr(space + 1);
    if (rest.rfind("kind=science ", 0) != 0 && rest.rfind("kind=reference ", 0) != 0) continue;
    ++out[line.substr(at + 9, space - at - 9)];
    if (line.find(" resumed=1") != std::string::npos) ++*resumed;
  }
  return out;
}

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("kill: twenty SIGKILLs during a night lose nothing and repeat nothing", "[kill]") {
  const auto started = Clock::now();
  const auto deadline = started + kDeadline;
  const auto night = render_night(11);
  const int n = int(night.size());
  REQUIRE(n >= 30);

  DaemonFixture d;
  // Few votes retire a subject, so that verdicts and credit happen during the
  // night. The volunteers all come from 127.0.0.1 and vote faster than people
  // do: the rate limits are not what this test is about.
  d.write_config("[review]\nmax_votes = 4\nreal_threshold = 0.9\nbogus_threshold = 0.1\n",
                 "rate_limit_per_address = 0\nrate_limit_per_volunteer = 0\n"
                 "signups_per_address_per_hour = 0\n");
  REQUIRE(d.start());
  const int http = d.http_port();

  Ledger ledger;
  std::atomic<bool> stop{false}, night_done{false}, late_go{false}, replay{false};
  Camera camera(night, d.ingest_port(), http);
  std::vector<std::unique_ptr<Volunteer>> volunteers;
  for (int i = 0; i < 3; ++i)
    volunteers.push_back(
        std::make_unique<Volunteer>("early" + std::to_string(i), http, ledger, 40ms));
  for (int i = 0; i < 2; ++i)
    volunteers.push_back(
        std::make_unique<Volunteer>("late" + std::to_string(i), http, ledger, 60ms));

  // Stops and joins the threads on every way out, before the daemon goes.
  struct Threads {
    std::atomic<bool>& stop;
    std::vector<std::thread> list;
    ~Threads() {
      stop.store(true);
      for (auto& t : list) t.join();
    }
  } threads{stop, {}};
  // A client thread must not throw (std::terminate): it notes what and stops.
  auto guarded = [&ledger](const char* who, std::function<void()> body) {
    return [&ledger, who, body = std::move(body)] {
      try {
        body();
      } catch (const std::exception& e) {
        ledger.anomaly(std::string(who) + " thread failed: " + e.what());
        ledger.thread_failed.store(true);
      }
    };
  };
  threads.list.emplace_back(guarded("camera", [&] {
    camera.run(stop);
    while (!stop.load() && !replay.load()) std::this_thread::sleep_for(20ms);
    if (!stop.load()) camera.replay_night(stop);
  }));
  for (size_t i = 0; i < volunteers.size(); ++i)
    threads.list.emplace_back(guarded("volunteer", [&, i] {
      if (i >= 3)  // the late volunteers arrive once the night is processed
        while (!stop.load() && !late_go.load()) std::this_thread::sleep_for(20ms);
      volunteers[i]->run(stop, night_done);
    }));

  int done = 0;
  auto poll_progress = [&] {
    if (auto states = exposure_states(http)) {
      done = count_in_state(*states, "done");
      if (done == n) night_done.store(true);
    }
  };
  // Polls `condition`; fails when blinkd exits on its own or the deadline passes.
  auto wait_until = [&](const std::function<bool()>& condition, const char* what) {
    while (!condition()) {
      const int exited = d.daemon().wait(1ms);  // about 20 ms when still running
      if (exited == -1 && Clock::now() < deadline && !ledger.thread_failed.load()) continue;
      std::string anomalies;
      {
        std::lock_guard lock(ledger.mutex);
        for (const auto& a : ledger.anomalies) anomalies += a + "\n";
      }
      INFO(anomalies);
      INFO(d.log());
      INFO("waiting for " << what << " after " << seconds_since(started) << " s");
      INFO("blinkd exit status " << exited);
      FAIL("blinkd exited, a client thread failed or the deadline passed");
    }
  };

  int killed_in_flight = 0, killed_in_recovery = 0, killed_voting = 0;
  const auto plan = plan_kills(20240611, n);
  for (size_t k = 0; k < plan.size(); ++k) {
    const Kill& kill = plan[k];
    if (kill.moment == Moment::kRecovery) {
      std::this_thread::sleep_for(kill.delay);
      killed_in_recovery += http_get(http, "/readyz").status != 200;
    } else {
      {
        INFO(d.log());
        REQUIRE(d.wait_ready(600));
      }
      if (kill.moment == Moment::kVoting) {
        wait_until(
            [&] {
              poll_progress();
              return night_done.load();
            },
            "the night to be processed");
        if (!replay.exchange(true)) {
          // Before the next kill: blinkd answers every replayed exposure (a refusal).
          const size_t before = count_of(d.log(), "rejected exposure=");
          wait_until([&] { return count_of(d.log(), "rejected exposure=") >= before + n; },
                     "the replayed night to be refused");
        }
        late_go.store(true);
        const size_t votes = ledger.acknowledged_count();
        const auto gate_opened = Clock::now();
        wait_until(
            [&] {
              bool voting = false;
              for (const auto& v : volunteers) voting |= !v->exhausted.load();
              return ledger.acknowledged_count() >= votes + size_t(kill.votes_gate) || !voting ||
                     Clock::now() - gate_opened > 5s;
            },
            "votes");
        bool voting = false;
        for (const auto& v : volunteers) voting |= !v->exhausted.load();
        killed_voting += voting;
      } else {
        wait_until(
            [&] {
              poll_progress();
              return done >= kill.done_gate;
            },
            "the night to progress");
      }
      if (kill.moment == Moment::kProcessing) {
        const auto gave_up = Clock::now() + 2s;
        bool in_flight = false;
        while (!in_flight && Clock::now() < gave_up) {
          auto s = get_json(http, "/api/v1/status");
          in_flight = s && s->value("in_flight", 0) > 0;
          if (!in_flight) std::this_thread::sleep_for(5ms);
        }
        killed_in_flight += in_flight;
      }
      std::this_thread::sleep_for(kill.delay);
    }
    d.daemon().signal(SIGKILL);
    const int code = d.daemon().wait(10s);
    INFO(d.log());
    INFO("kill " << k + 1);
    REQUIRE(code == 128 + SIGKILL);  // not dead of something else before
    d.launch();
  }

  // The rest of the night and of the votes, without kills.
  {
    INFO(d.log());
    REQUIRE(d.wait_ready(600));
  }
  wait_until(
      [&] {
        poll_progress();
        return night_done.load();
      },
      "the night to be processed");
  late_go.store(true);
  replay.store(true);
  wait_until(
      [&] {
        bool voting = false;
        for (const auto& v : volunteers) voting |= !v->exhausted.load();
        return !voting && camera.all_durable.load();
      },
      "the volunteers to run out of subjects");
  stop.store(true);
  for (auto& t : threads.list) t.join();
  threads.list.clear();
  d.daemon().signal(SIGTERM);
  {
    INFO(d.log());
    REQUIRE(d.daemon().wait(60s) == 0);
  }
  const std::string log = d.log();
  INFO(log.substr(log.size() > 20000 ? log.size() - 20000 : 0));
  CHECK(count_of(log, "starting blinkd") == size_t(kKills + 1));
  CHECK(camera.replayed == n);
  CHECK(count_of(log, "reason=duplicate") >= size_t(n));

  // Exposures: each exactly once, done, its outcome stored once.
  Db db(d.dir() / "state" / "blink.db");
  REQUIRE(db.ok());
  std::map<std::string, std::string> state_of;
  for (const auto& row : db.rows("SELECT exposure_id, state, reject_reason, error FROM exposures"))
    state_of[row.at(0)] =
        row.at(1) == "rejected" ? "rejected (" + row.at(2) + ": " + row.at(3) + ")" : row.at(1);
  CHECK(state_of.size() == size_t(n));
  for (const auto& e : night) {
    INFO("exposure " << e.id);
    CHECK(state_of[e.id] == "done");
  }
  int resumed = 0;
  const auto finished = finished_lines(log, &resumed);
  // A kill between the commit and the line loses the line, never more.
  CHECK(finished.size() + kKills >= size_t(n));
  for (const auto& [id, times] : finished) {
    INFO("exposure " << id << " logged as finished " << times << " times");
    CHECK(times == 1);
  }

  // Candidates: one set per science exposure, ids <exposure>:0..n-1, no twins.
  CHECK(db.found("SELECT exposure_id FROM exposures e WHERE n_candidates IS NOT "
                 "(SELECT COUNT(*) FROM candidates c WHERE c.exposure_id = e.exposure_id)") == "");
  CHECK(db.found("SELECT exposure_id FROM exposures WHERE kind = 'science' AND n_candidates = 0") ==
        "");
  CHECK(db.found("SELECT exposure_id FROM candidates GROUP BY exposure_id HAVING MIN(idx) != 0 "
                 "OR MAX(idx) != COUNT(*) - 1 OR COUNT(DISTINCT idx) != COUNT(*)") == "");
  CHECK(db.found("SELECT candidate_id FROM candidates WHERE candidate_id != exposure_id || ':' || "
                 "idx") == "");
  CHECK(db.found("SELECT exposure_id FROM candidates GROUP BY exposure_id, ROUND(x, 3), "
                 "ROUND(y, 3) HAVING COUNT(*) > 1") == "");
  CHECK(db.found("SELECT c.candidate_id FROM candidates c JOIN exposures e USING (exposure_id) "
                 "WHERE e.kind != 'science' OR e.state != 'done'") == "");
  CHECK(db.found("SELECT exposure_id FROM exposures e WHERE kind = 'science' AND NOT EXISTS "
                 "(SELECT 1 FROM fakes f WHERE f.exposure_id = e.exposure_id)") == "");
  CHECK(db.found("SELECT f.exposure_id FROM fakes f WHERE f.candidate_id IS NOT NULL AND NOT "
                 "EXISTS (SELECT 1 FROM candidates c WHERE c.candidate_id = f.candidate_id)") ==
        "");
  CHECK(db.found("SELECT candidate_id FROM subjects s WHERE NOT EXISTS (SELECT 1 FROM "
                 "candidates c WHERE c.candidate_id = s.candidate_id)") == "");
  CHECK(db.found("SELECT candidate_id FROM cutouts s WHERE NOT EXISTS (SELECT 1 FROM "
                 "candidates c WHERE c.candidate_id = s.candidate_id)") == "");
  const long long candidates = db.count("SELECT COUNT(*) FROM candidates");
  CHECK(candidates > 0);

  // Votes: every acknowledged one stored exactly once; none stored that was refused.
  std::set<std::pair<int64_t, std::string>> stored;
  for (const auto& row : db.rows("SELECT volunteer_id, candidate_id FROM votes")) {
    INFO(row.at(0));
    REQUIRE(row.size() == 2);
    CHECK(stored.insert({std::atoll(row[0].c_str()), row[1]}).second);
  }
  for (const auto& a : ledger.acknowledged) {
    INFO("acknowledged vote of volunteer " << a.first << " on " << a.second);
    CHECK(stored.count(a));
  }
  for (const auto& s : stored) {
    INFO("stored vote of volunteer " << s.first << " on " << s.second);
    CHECK((ledger.acknowledged.count(s) || ledger.unknown.count(s)));
  }
  {
    std::string anomalies;
    for (const auto& a : ledger.anomalies) anomalies += a + "\n";
    INFO(anomalies);
    CHECK(ledger.anomalies.empty());
  }
  CHECK(ledger.server_errors == 0);
  CHECK(db.found("SELECT candidate_id FROM votes v WHERE NOT EXISTS (SELECT 1 FROM subjects s "
                 "WHERE s.candidate_id = v.candidate_id)") == "");

  // What a vote changes committed with it: skills, counts, posteriors, verdicts, credit.
  // A vote teaches its volunteer's skill when its subject's truth is known: a
  // training subject's, or a verdict the crowd retired it with (consensus
  // learning at review.consensus_weight 1, the default), committed with the
  // vote that retired it.
  const std::string training_votes =
      "SELECT COUNT(*) FROM votes w JOIN subjects s USING (candidate_id) WHERE w.volunteer_id = "
      "v.volunteer_id AND s.training = 1 AND w.answer != 'odd'";
  const std::string lessons =
      "SELECT COUNT(*) FROM votes w JOIN subjects s USING (candidate_id) WHERE w.volunteer_id = "
      "v.volunteer_id AND w.answer != 'odd' AND (CASE WHEN s.training = 1 THEN s.truth WHEN "
      "s.state = 'retired' THEN s.verdict END)";
  CHECK(db.found("SELECT volunteer_id FROM volunteers v WHERE classifications != "
                 "(SELECT COUNT(*) FROM votes w WHERE w.volunteer_id = v.volunteer_id)") == "");
  CHECK(db.found("SELECT volunteer_id FROM volunteers v WHERE training_seen != (" +
                 training_votes + ") OR real_seen != (" + lessons +
                 " = 'real') OR real_said_real != (" + lessons +
                 " = 'real' AND w.answer = 'real') OR bogus_seen != (" + lessons +
                 " = 'bogus') OR bogus_said_bogus != (" + lessons +
                 " = 'bogus' AND w.answer = 'bogus')") == "");
  CHECK(db.found("SELECT candidate_id FROM subjects s WHERE n_votes != (SELECT COUNT(*) FROM "
                 "votes w WHERE w.candidate_id = s.candidate_id)") == "");
  CHECK(db.found("SELECT candidate_id FROM subjects s WHERE training = 0 AND n_votes > 0 AND "
                 "posterior != (SELECT posterior_after FROM votes w WHERE w.candidate_id = "
                 "s.candidate_id ORDER BY vote_id DESC LIMIT 1)") == "");
  CHECK(db.found("SELECT candidate_id FROM subjects WHERE (state = 'open') != (retired_unix IS "
                 "NULL) OR (state = 'retired') != (verdict IS NOT NULL)") == "");
  CHECK(db.found("SELECT candidate_id FROM subjects s WHERE state != 'open' AND retired_unix != "
                 "(SELECT MAX(voted_unix) FROM votes w WHERE w.candidate_id = s.candidate_id)") ==
        "");
  CHECK(db.found("SELECT d.candidate_id FROM discoverers d JOIN subjects s USING (candidate_id) "
                 "WHERE s.verdict IS NOT 'real' OR NOT EXISTS (SELECT 1 FROM votes w WHERE "
                 "w.candidate_id = d.candidate_id AND w.volunteer_id = d.volunteer_id AND "
                 "w.answer = 'real')") == "");
  const long long votes = db.count("SELECT COUNT(*) FROM votes");
  const long long retired = db.count("SELECT COUNT(*) FROM subjects WHERE state != 'open'");
  const long long credited = db.count("SELECT COUNT(*) FROM discoverers");
  CHECK(votes > 100);
  CHECK(retired > 0);

  // The database and the files.
  CHECK(db.found("PRAGMA integrity_check") == "ok");
  CHECK(db.found("PRAGMA foreign_key_check") == "");
  std::vector<std::string> spooled, references;
  for (const auto& f : std::filesystem::directory_iterator(d.dir() / "state" / "spool"))
    spooled.push_back(f.path().filename().string());
  for (const auto& f : std::filesystem::directory_iterator(d.dir() / "state" / "references"))
    references.push_back(f.path().filename().string());
  CHECK(spooled.empty());
  CHECK(references.size() == size_t(kFields));

  std::printf(
      "kill recovery: %d kills (%d with an exposure in flight, %d during recovery, %d while "
      "volunteers voted), %d exposures (%d finished after resuming, %d sent + %d re-sent, %zu "
      "duplicates refused), %lld candidates, %lld votes (%zu acknowledged (%d by a retry's 409), "
      "%zu unknown, %d "
      "attempts unanswered), %lld subjects retired, %lld credits, %s s\n",
      kKills, killed_in_flight, killed_in_recovery, killed_voting, n, resumed, camera.sends,
      camera.resends, count_of(log, "reason=duplicate"), candidates, votes,
      ledger.acknowledged.size(), ledger.acknowledged_on_retry, ledger.unknown.size(),
      ledger.unanswered, retired, credited, seconds_since(started).c_str());
}
