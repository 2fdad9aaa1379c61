// End to end: the real blinkd on loopback, fed a short simulated night by the
// real blink-sim, watched through its PUB socket, metrics and HTTP API.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include <cmath>
#include <map>
#include <regex>
#include <set>

#include "test_support.h"
#include "truth_csv.h"

using namespace blink::testing;
using namespace std::chrono_literals;

namespace {

bool is_transient(const std::string& kind) { return kind.rfind("transient", 0) == 0; }

}  // namespace

TEST_CASE("end to end: a simulated night through blinkd yields its bright transients", "[e2e]") {
  const std::string bin = BLINK_BINARY_DIR;
  TempDir tmp;
  const int ingest = free_port(), alerts = free_port(), http = free_port(), metrics = free_port();
  const auto config = tmp.path() / "blink.toml";
  std::ofstream(config) << "[ingest]\nendpoint = \"tcp://127.0.0.1:" << ingest << "\"\n"
                        << "[alerts]\nendpoint = \"tcp://127.0.0.1:" << alerts << "\"\n"
                        << "[http]\nlisten = \"127.0.0.1:" << http << "\"\n"
                        << "[metrics]\nlisten = \"127.0.0.1:" << metrics << "\"\n"
                        << "[state]\ndir = \"" << (tmp.path() / "state").string() << "\"\n";
  Child daemon({bin + "/daemon/blinkd", "--config", config.string()}, (tmp.path() / "blinkd.log").string());
  REQUIRE(daemon.pid() > 0);
  bool ready = false;
  for (int i = 0; i < 300 && !ready; ++i) {
    ready = http_get(http, "/readyz").status == 200;
    if (!ready) std::this_thread::sleep_for(100ms);
  }
  INFO(read_text(tmp.path() / "blinkd.log"));
  REQUIRE(ready);

  zmq::context_t ctx;
  zmq::socket_t sub(ctx, zmq::socket_type::sub);
  sub.set(zmq::sockopt::subscribe, "candidate.");
  sub.set(zmq::sockopt::rcvtimeo, 200);
  sub.connect("tcp://127.0.0.1:" + std::to_string(alerts));
  std::this_thread::sleep_for(300ms);  // let the subscription reach the publisher

  const int epochs = 3;
  Child sim({bin + "/tools/blink-sim", "--seed", "7", "--fields", "1", "--epochs", std::to_string(epochs), "--size",
             "1024", "--endpoint", "tcp://127.0.0.1:" + std::to_string(ingest), "--truth",
             (tmp.path() / "truth.csv").string(), "--quiet"},
            (tmp.path() / "sim.log").string());
  REQUIRE(sim.wait(120s) == 0);

  // Collect candidates until every science exposure has been processed.
  std::map<std::string, std::vector<nlohmann::json>> by_exposure;
  std::set<std::string> topics;
  std::string metrics_text;
  auto deadline = std::chrono::steady_clock::now() + 180s;
  while (std::chrono::steady_clock::now() < deadline) {
    zmq::message_t topic, body;
    if (sub.recv(topic) && sub.recv(body)) {
      topics.insert(topic.to_string());
      auto j = nlohmann::json::parse(body.to_string());
      by_exposure[j.at("exposure_id").get<std::string>()].push_back(j);
      continue;
    }
    metrics_text = http_get(metrics, "/metrics").body;
    if (metric_value(metrics_text, "blink_exposures_processed_total", "science") >= epochs) break;
  }
  // Drain what was published after the last check.
  for (int i = 0; i < 20; ++i) {
    zmq::message_t topic, body;
    while (sub.recv(topic) && sub.recv(body)) {
      auto j = nlohmann::json::parse(body.to_string());
      by_exposure[j.at("exposure_id").get<std::string>()].push_back(j);
    }
  }
  metrics_text = http_get(metrics, "/metrics").body;
  INFO(read_text(tmp.path() / "blinkd.log"));
  REQUIRE(metric_value(metrics_text, "blink_exposures_processed_total", "science") == epochs);

  // Every bright injected transient comes out at the right place.
  auto truth = read_truth(tmp.path() / "truth.csv");
  int bright = 0, found = 0;
  for (const auto& t : truth) {
    if (!is_transient(t.kind) || t.snr < 20) continue;
    ++bright;
    for (const auto& c : by_exposure[t.exposure_id]) {
      if (std::hypot(c.at("x").get<double>() - t.x, c.at("y").get<double>() - t.y) > 1.5) continue;
      double dra = (c.at("ra").get<double>() - t.ra) * std::cos(t.dec * M_PI / 180) * 3600;
      double ddec = (c.at("dec").get<double>() - t.dec) * 3600;
      CHECK(std::hypot(dra, ddec) < 1.5);
      CHECK(c.at("schema") == "blink.candidate/1");
      CHECK(c.at("snr").get<double>() > 5);
      ++found;
      break;
    }
  }
  INFO("bright transients found " << found << " of " << bright);
  REQUIRE(bright >= 10);
  CHECK(found >= int(0.9 * bright));

  // The metrics endpoint answers with the expected series.
  CHECK(metric_value(metrics_text, "blink_exposures_received_total", "reference") == 1);
  CHECK(metric_value(metrics_text, "blink_candidates_total") >= 0);
  CHECK(metrics_text.find("blink_stage_duration_seconds_bucket") != std::string::npos);
  CHECK(metrics_text.find("blink_build_info") != std::string::npos);

  // A graceful stop drains and exits cleanly.
  daemon.signal(SIGTERM);
  CHECK(daemon.wait(60s) == 0);
}
