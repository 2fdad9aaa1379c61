// The daemon's operations contract, run on the real binaries: a SIGHUP
// reload applies new thresholds and log level to later exposures without
// losing accepted work, and SIGTERM drains accepted exposures so that after
// a restart every one is processed exactly once.
#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <regex>
#include <set>

#include "daemon_fixture.h"

using namespace blink::testing;
using namespace std::chrono_literals;

namespace {

std::string routing(double alert, double archive, const std::string& level) {
  std::ostringstream s;
  s << "[routing]\nalert_threshold = " << alert << "\narchive_threshold = " << archive
    << "\n[log]\nlevel = \"" << level << "\"\n";
  return s.str();
}

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

bool wait_for_log(DaemonFixture& d, const std::string& what, size_t times) {
  for (int i = 0; i < 200; ++i) {
    if (count_of(d.log(), what) >= times) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

// The threshold values named in each candidate's route_reason, by the seed
// its exposure came from ("s21-F0001-..." -> 21).
std::map<int, std::set<double>> thresholds_by_seed(const nlohmann::json& candidates) {
  static const std::regex kThreshold("threshold ([0-9.]+)");
  static const std::regex kSeed("^s([0-9]+)-");
  std::map<int, std::set<double>> out;
  for (const auto& c : candidates) {
    std::smatch seed;
    const std::string id = c.at("exposure_id").get<std::string>();
    if (!std::regex_search(id, seed, kSeed)) continue;
    const std::string reason = c.at("route_reason").get<std::string>();
    auto& set = out[std::stoi(seed[1])];
    for (std::sregex_iterator it(reason.begin(), reason.end(), kThreshold), end; it != end; ++it)
      set.insert(std::stod((*it)[1]));  // printed with as many digits as needed
  }
  return out;
}

// Streams seed 21, reloads with `trigger`, streams seed 22, and checks the
// candidates, the counts and the log.
void check_reload(DaemonFixture& d, const std::function<void()>& trigger) {
  REQUIRE(d.start());
  REQUIRE(d.simulate(21, 2, 512) == 0);
  INFO(d.log());
  REQUIRE(d.wait_processed(3));
  CHECK(count_of(d.log(), "accepted exposure=") == 0);  // debug lines are off at "info"

  d.write_config(routing(0.93, 0.13, "debug"), "operator_token = \"tok\"\n");
  trigger();
  REQUIRE(wait_for_log(d, "reload applied", 1));

  REQUIRE(d.simulate(22, 2, 512) == 0);
  REQUIRE(d.wait_processed(6));
  auto status = d.status();
  CHECK(status["exposures"]["received"] == 6);
  CHECK(status["exposures"]["processed"] == 6);
  CHECK(status["exposures"]["rejected"] == 0);

  auto r = http_get(d.http_port(), "/api/v1/candidates?limit=500");
  REQUIRE(r.status == 200);
  auto by_seed = thresholds_by_seed(nlohmann::json::parse(r.body)["candidates"]);
  REQUIRE(by_seed.count(21));
  REQUIRE(by_seed.count(22));
  auto is = [](double t, double want) { return std::abs(t - want) < 1e-9; };
  for (double t : by_seed[21]) CHECK((is(t, 0.91) || is(t, 0.11)));
  for (double t : by_seed[22]) CHECK((is(t, 0.93) || is(t, 0.13)));

  // The new log level took effect: exposures after the reload are logged at debug.
  const std::string log = d.log();
  CHECK(log.find("accepted exposure=s22-") != std::string::npos);
  CHECK(log.find("accepted exposure=s21-") == std::string::npos);
  d.daemon().signal(SIGTERM);
  CHECK(d.daemon().wait(30s) == 0);
}

}  // namespace

TEST_CASE("reload: SIGHUP applies new thresholds and log level to later exposures", "[ops]") {
  DaemonFixture d;
  d.write_config(routing(0.91, 0.11, "info"));
  check_reload(d, [&] { d.daemon().signal(SIGHUP); });
  CHECK_THAT(d.log(), Catch::Contains("reload: reading config="));
}

TEST_CASE("reload: blinkctl reload with the operator token does the same", "[ops]") {
  DaemonFixture d;
  d.write_config(routing(0.91, 0.11, "info"), "operator_token = \"tok\"\n");
  check_reload(d, [&] {
    const auto token = d.dir() / "token";
    std::ofstream(token) << "tok\n";
    REQUIRE(run_command({DaemonFixture::bin() + "/tools/blinkctl", "--http", d.http_address(),
                         "reload", "--token-file", token.string()},
                        d.dir() / "blinkctl.out") == 0);
  });
  CHECK_THAT(d.log(), Catch::Contains("reload requested over HTTP"));
}

TEST_CASE("drain: SIGTERM finishes accepted exposures, and a restart processes each exactly once",
          "[ops]") {
  DaemonFixture d;
  d.write_config();
  REQUIRE(d.start());
  REQUIRE(d.simulate(31, 4, 1024) == 0);
  // blink-sim has handed over all five; most are still queued or in flight.
  const auto before = d.status();
  const auto stop_sent = std::chrono::steady_clock::now();
  d.daemon().signal(SIGTERM);
  const int code = d.daemon().wait(60s);
  const double stop_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - stop_sent).count();
  INFO(d.log());
  INFO("status when SIGTERM was sent: " << before.dump());
  INFO("stopped in " << stop_s << " s");
  REQUIRE(code == 0);
  CHECK(stop_s < 30);
  // The stop really had work to finish: not everything was done when it came.
  CHECK(before["exposures"]["processed"].get<int>() < 5);
  CHECK_THAT(d.log(), Catch::Contains("stopping: no more input"));
  CHECK_THAT(d.log(), Catch::Contains("stopped processed=5 rejected=0"));

  // Restart on the same state folder: nothing left to do, nothing done twice.
  REQUIRE(d.start());
  REQUIRE(d.wait_processed(0));
  auto r = http_get(d.http_port(), "/api/v1/exposures?limit=50");
  REQUIRE(r.status == 200);
  auto exposures = nlohmann::json::parse(r.body)["exposures"];
  std::map<std::string, int> seen;
  for (const auto& e : exposures) {
    ++seen[e["exposure_id"].get<std::string>()];
    CHECK(e["state"] == "done");
  }
  CHECK(seen.size() == 5);
  for (const auto& [id, n] : seen) CHECK(n == 1);
  // Drained before the stop, so the restart had nothing to resume.
  auto status = d.status();
  CHECK(status["exposures"]["processed"] == 0);
  CHECK(status["queue_depth"] == 0);
  d.daemon().signal(SIGTERM);
  CHECK(d.daemon().wait(30s) == 0);
}
