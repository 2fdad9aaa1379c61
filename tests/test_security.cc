// Security surfaces of a real blinkd: CURVE with a ZAP allow-list on the
// ingest and alerts sockets (a client without CURVE, with the wrong server
// key or with a key not on the list is refused and counted), key files, and
// the operator endpoints (token, and a separate operator listener).
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <zmq.hpp>

#include "curve_keys.h"
#include "daemon_fixture.h"
#include "http_api.h"
#include "sim_fixtures.h"

namespace blink::testing {
namespace {

namespace fs = std::filesystem;

// Key files for blinkd, an allowed client and a stranger, in `dir`.
struct Keys {
  explicit Keys(const fs::path& dir) : dir(dir) {
    fs::create_directories(dir / "allowed");
    server = make("blinkd");
    client = make("client");
    stranger = make("stranger");
    fs::copy_file(dir / "client.key", dir / "allowed" / "client.key");
  }
  CurveKeyPair make(const std::string& name) {
    auto pair = make_curve_key_pair();
    REQUIRE(pair);
    REQUIRE(write_curve_key_files((dir / name).string(), *pair));
    return *pair;
  }
  std::string config() const {
    return "[security]\ncurve_secret_key = \"" + (dir / "blinkd.key_secret").string() +
           "\"\ncurve_allowed_clients = \"" + (dir / "allowed").string() + "\"\n";
  }
  fs::path dir;
  CurveKeyPair server, client, stranger;
};

// A PUSH socket that sends one exposure message; `curve` null: plain.
// Returns whether ZeroMQ accepted it within 1.5 s (ZMQ_IMMEDIATE: only once a
// handshake with blinkd succeeded).
bool push_one(int port, const CurveKeyPair* client, const std::string& server_key,
              const std::string& id) {
  auto exposures = blink::sim::testing::render_all(blink::sim::testing::small_config(5, 128));
  auto& e = exposures.back();
  e.exposure_id = id;
  auto fits = blink::sim::to_fits(e);
  REQUIRE(fits);
  zmq::context_t ctx;
  zmq::socket_t push(ctx, zmq::socket_type::push);
  push.set(zmq::sockopt::immediate, 1);
  push.set(zmq::sockopt::linger, 0);
  push.set(zmq::sockopt::sndtimeo, 1500);
  if (client) REQUIRE(make_curve_client(push, *client, server_key));
  push.connect("tcp://127.0.0.1:" + std::to_string(port));
  std::string envelope = blink::sim::envelope_json(e);
  if (!push.send(zmq::buffer(envelope), zmq::send_flags::sndmore)) return false;
  REQUIRE(push.send(zmq::buffer(*fits), zmq::send_flags::none));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let it leave before closing
  return true;
}

double refused(DaemonFixture& d, const std::string& surface, const std::string& reason) {
  return metric_value(d.metrics(), "blink_auth_refused_total",
                      "reason=\"" + reason + "\",surface=\"" + surface + "\"");
}

// Every refusal on `surface`. Which reason a failed handshake gets depends on
// who hangs up first (a client without CURVE may close before blinkd sees its
// mechanism: "other"), so tests of those count them all.
double refused_any(DaemonFixture& d, const std::string& surface) {
  double sum = 0;
  for (const char* reason : {"no_curve", "bad_handshake", "key_not_allowed", "other"})
    sum += std::max(0.0, refused(d, surface, reason));
  return sum;
}

// Waits until `f()` holds; false after `seconds`.
template <typename F>
bool eventually(F f, int seconds = 10) {
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return f();
}

int run_sim(DaemonFixture& d, const Keys& keys, const std::string& client_name) {
  Child sim({DaemonFixture::bin() + "/tools/blink-sim", "--seed", "41", "--fields", "1",
             "--epochs", "2", "--size", "512", "--endpoint",
             "tcp://127.0.0.1:" + std::to_string(d.ingest_port()), "--quiet",
             "--connect-timeout", "3", "--curve-server-key",
             (keys.dir / "blinkd.key").string(), "--curve-client-key",
             (keys.dir / (client_name + ".key_secret")).string()},
            (d.dir() / "sim.log").string());
  return sim.wait(std::chrono::seconds(60));
}

}  // namespace

TEST_CASE("CURVE key files: round trip, a readable secret refused, a mismatched pair refused",
          "[security]") {
  REQUIRE(curve_available());
  TempDir dir;
  auto pair = make_curve_key_pair();
  REQUIRE(pair);
  const std::string prefix = (dir.path() / "k").string();
  REQUIRE(write_curve_key_files(prefix, *pair));
  CHECK((fs::status(prefix + ".key_secret").permissions() & fs::perms::group_read) ==
        fs::perms::none);
  auto read = read_curve_secret_file(prefix + ".key_secret");
  REQUIRE(read);
  CHECK(read->public_key == pair->public_key);
  CHECK(read->secret_key == pair->secret_key);
  CHECK(*read_curve_public_file(prefix + ".key") == pair->public_key);
  CHECK_FALSE(write_curve_key_files(prefix, *pair));  // never overwrites

  ::chmod((prefix + ".key_secret").c_str(), 0640);
  auto loose = read_curve_secret_file(prefix + ".key_secret");
  REQUIRE_FALSE(loose);
  CHECK_THAT(loose.status().message(), Catch::Contains("mode 0640") && Catch::Contains("chmod 600"));

  auto other = make_curve_key_pair();
  std::ofstream(dir.path() / "mixed") << "curve\n    public-key = \"" << other->public_key
                                       << "\"\n    secret-key = \"" << pair->secret_key << "\"\n";
  ::chmod((dir.path() / "mixed").c_str(), 0600);
  auto mixed = read_curve_secret_file((dir.path() / "mixed").string());
  REQUIRE_FALSE(mixed);
  CHECK_THAT(mixed.status().message(), Catch::Contains("does not belong"));

  // A folder: public files count, secret files are skipped.
  auto list = read_curve_allow_list(dir.path().string());
  REQUIRE(list);
  std::vector<std::string> expected{pair->public_key, other->public_key};
  std::sort(list->begin(), list->end());
  std::sort(expected.begin(), expected.end());
  CHECK(*list == expected);
}

TEST_CASE("blinkd refuses to start with a group-readable secret key file", "[security]") {
  DaemonFixture d;
  Keys keys(d.dir() / "keys");
  ::chmod((keys.dir / "blinkd.key_secret").c_str(), 0644);
  d.write_config(keys.config());
  d.launch();
  CHECK(d.daemon().wait(std::chrono::seconds(20)) == 1);
  CHECK_THAT(d.log(), Catch::Contains("mode 0644") && Catch::Contains("chmod 600"));
}

TEST_CASE("CURVE ingest: an allowed key delivers, no CURVE and unknown keys are refused and counted",
          "[security]") {
  DaemonFixture d;
  Keys keys(d.dir() / "keys");
  d.write_config(keys.config());
  REQUIRE(d.start());

  SECTION("an allowed client's exposures are processed") {
    REQUIRE(run_sim(d, keys, "client") == 0);
    REQUIRE(d.wait_processed(3));
    CHECK(refused(d, "ingest", "key_not_allowed") == 0);
  }
  SECTION("a client without CURVE is refused") {
    CHECK_FALSE(push_one(d.ingest_port(), nullptr, "", "plain-1"));
    CHECK(eventually([&] { return refused_any(d, "ingest") >= 1; }));
    CHECK(d.status()["exposures"]["received"].get<int>() == 0);
  }
  SECTION("a client whose key is not on the allow-list is refused") {
    CHECK_FALSE(push_one(d.ingest_port(), &keys.stranger, keys.server.public_key, "stranger-1"));
    CHECK(eventually([&] { return refused(d, "ingest", "key_not_allowed") >= 1; }));
    CHECK(d.status()["exposures"]["received"].get<int>() == 0);
    // blink-sim with that key gives up, saying nobody accepted.
    CHECK(run_sim(d, keys, "stranger") == 2);
    CHECK(d.status()["exposures"]["received"].get<int>() == 0);
  }
  SECTION("a client with the wrong server key is refused") {
    CHECK_FALSE(push_one(d.ingest_port(), &keys.client, keys.stranger.public_key, "wrong-1"));
    CHECK(eventually([&] { return refused_any(d, "ingest") >= 1; }));
    CHECK(d.status()["exposures"]["received"].get<int>() == 0);
  }
  SECTION("a reload re-reads the allow-list") {
    fs::copy_file(keys.dir / "stranger.key", keys.dir / "allowed" / "stranger.key");
    d.daemon().signal(SIGHUP);
    REQUIRE(eventually([&] { return d.log().find("allowed_client_keys=2") != std::string::npos; }));
    CHECK(push_one(d.ingest_port(), &keys.stranger, keys.server.public_key, "stranger-2"));
    CHECK(eventually([&] { return d.status()["exposures"]["received"].get<int>() == 1; }));
  }
}

TEST_CASE("CURVE alerts: only an allowed subscriber with the right server key receives candidates",
          "[security]") {
  DaemonFixture d;
  Keys keys(d.dir() / "keys");
  d.write_config(keys.config());
  REQUIRE(d.start());

  zmq::context_t ctx;
  auto subscriber = [&](const CurveKeyPair* me, const std::string& server_key) {
    zmq::socket_t sub(ctx, zmq::socket_type::sub);
    sub.set(zmq::sockopt::linger, 0);
    sub.set(zmq::sockopt::subscribe, "candidate.");
    if (me) REQUIRE(make_curve_client(sub, *me, server_key));
    sub.connect("tcp://127.0.0.1:" + std::to_string(d.alerts_port()));
    return sub;
  };
  zmq::socket_t good = subscriber(&keys.client, keys.server.public_key);
  zmq::socket_t stranger = subscriber(&keys.stranger, keys.server.public_key);
  zmq::socket_t wrong_server = subscriber(&keys.client, keys.stranger.public_key);
  zmq::socket_t plain = subscriber(nullptr, "");
  // Three refused subscribers, and ZAP's refusal is always named as such.
  REQUIRE(eventually([&] {
    return refused(d, "alerts", "key_not_allowed") >= 1 && refused_any(d, "alerts") >= 3;
  }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the good one has subscribed

  REQUIRE(run_sim(d, keys, "client") == 0);
  REQUIRE(d.wait_processed(3));
  auto drain = [](zmq::socket_t& s) {
    int messages = 0;
    zmq::message_t m;
    while (s.recv(m, zmq::recv_flags::dontwait))
      if (!m.more()) ++messages;
    return messages;
  };
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const int published = int(metric_value(d.metrics(), "blink_candidates_total", "alert") +
                            metric_value(d.metrics(), "blink_candidates_total", "review") +
                            metric_value(d.metrics(), "blink_candidates_total", "rejected"));
  REQUIRE(published > 0);
  CHECK(drain(good) >= published);
  CHECK(drain(stranger) == 0);
  CHECK(drain(wrong_server) == 0);
  CHECK(drain(plain) == 0);
}

TEST_CASE("operator endpoints: token required; with http.operator_listen only there",
          "[security]") {
  const std::string reload = "/api/v1/reload";
  const std::string csv = "/api/v1/export/classifications.csv?night=2026-01-01";
  const std::string bearer = "Authorization: Bearer s3cret-operator-token\r\n";
  const std::string wrong = "Authorization: Bearer not-the-token\r\n";

  SECTION("one listener: no or wrong token 401, the right one works") {
    DaemonFixture d;
    d.write_config("", "operator_token = \"s3cret-operator-token\"\n");
    REQUIRE(d.start());
    for (const std::string& auth : {std::string(), wrong}) {
      CHECK(http_request(d.http_port(), "POST", reload, "", auth).status == 401);
      CHECK(http_request(d.http_port(), "GET", csv, "", auth).status == 401);
    }
    CHECK(http_request(d.http_port(), "GET", csv, "", bearer).status == 200);
    CHECK(http_request(d.http_port(), "POST", reload, "", bearer).status == 202);
  }
  SECTION("no token configured: 403") {
    DaemonFixture d;
    d.write_config();
    REQUIRE(d.start());
    CHECK(http_request(d.http_port(), "POST", reload, "", bearer).status == 403);
    CHECK(http_request(d.http_port(), "GET", csv, "", bearer).status == 403);
  }
  SECTION("a separate operator listener") {
    DaemonFixture d;
    const int op = free_port();
    d.write_config("", "operator_token = \"s3cret-operator-token\"\noperator_listen = "
                       "\"127.0.0.1:" + std::to_string(op) + "\"\n");
    REQUIRE(d.start());
    // The public listener does not have them, whatever the token or spelling.
    CHECK(http_request(d.http_port(), "POST", reload, "", bearer).status == 404);
    CHECK(http_request(d.http_port(), "POST", "/api/v1/%72eload", "", bearer).status == 404);
    CHECK(http_request(d.http_port(), "POST", "//api/v1/reload/", "", bearer).status == 404);
    CHECK(http_request(d.http_port(), "GET", csv, "", bearer).status == 404);
    CHECK(http_get(d.http_port(), "/api/v1/status").status == 200);
    // The operator listener has them, still behind the token.
    CHECK(http_request(op, "POST", reload, "", "").status == 401);
    CHECK(http_request(op, "POST", reload, "", wrong).status == 401);
    CHECK(http_request(op, "GET", csv, "", wrong).status == 401);
    CHECK(http_request(op, "GET", csv, "", bearer).status == 200);
    CHECK(http_request(op, "POST", reload, "", bearer).status == 202);
  }
}

TEST_CASE("operator paths are recognised however they are spelled", "[security]") {
  CHECK(is_operator_path("/api/v1/reload"));
  CHECK(is_operator_path("//api//v1/reload/"));
  CHECK(is_operator_path("/api/v1/export/classifications.csv"));
  CHECK(is_operator_path("/api/v1/%65xport/classifications.csv"));
  CHECK_FALSE(is_operator_path("/api/v1/status"));
  CHECK_FALSE(is_operator_path("/api/v1/reports/votes"));
}

}  // namespace blink::testing
