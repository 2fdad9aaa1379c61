// The learning loop: blinkd retrains its real/bogus model on its own labels,
// compares it with the model in use on the same held-out exposures, and
// swaps it in only when it is at least as good.
#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>

#include "daemon_fixture.h"
#include "model_retrainer.h"

using namespace blink;
using namespace blink::testing;
using namespace std::chrono_literals;

TEST_CASE("retrain: blinkd retrains on its own labels on schedule and reports the change", "[retrain]") {
  DaemonFixture d;
  // Every 9 seconds, from 10 labels (the shipped model is the one to beat).
  d.write_config("[scoring]\nmodel = \"\"\nretrain_hours = 0.0025\nretrain_min_labels = 10\n");
  REQUIRE(d.start());
  // Enough exposures that the held-out ones hold artefacts too: most cosmic
  // rays never become candidates, so a short night may have none.
  REQUIRE(d.simulate(43, 24, 512) == 0);
  REQUIRE(d.wait_processed(25, 180s));

  // The first attempt after the night: one log line with both models' figures.
  std::smatch m;
  const std::regex line(R"(retrain: labels=(\d+) held_out=(\d+) current=(\S+) \(AUC ([0-9.]+) Brier ([0-9.]+)\) new=(\S+) \(AUC ([0-9.]+) Brier ([0-9.]+)\): (kept|swapped))");
  std::string log;
  for (int i = 0; i < 300; ++i) {
    log = d.log();
    if (std::regex_search(log, m, line)) break;
    std::this_thread::sleep_for(100ms);
  }
  INFO(log);
  REQUIRE(!m.empty());
  CHECK(std::stoi(m[1]) >= 10);
  CHECK(std::stoi(m[2]) > 0);
  const double auc_before = std::stod(m[4]), brier_before = std::stod(m[5]);
  const double auc_after = std::stod(m[7]), brier_after = std::stod(m[8]);
  const bool swapped = m[9] == "swapped";
  CHECK(swapped == (brier_after <= brier_before && auc_after >= auc_before - 1e-9));
  const auto saved = d.dir() / "state" / "models" / "retrained.json";
  CHECK(std::filesystem::exists(saved) == swapped);
  if (swapped) {
    // In use at once, exported, and kept across a restart.
    const std::string version = m[6];
    CHECK(metric_value(d.metrics(), "blink_model_info", "version=\"" + version + "\"") == 1);
    d.daemon().signal(SIGTERM);
    REQUIRE(d.daemon().wait(30s) == 0);
    REQUIRE(d.start());
    CHECK(d.log().find("real/bogus: loaded model=" + version) != std::string::npos);
  }
}

TEST_CASE("retrain: too few labels is a wait, not a model", "[retrain]") {
  TempDir tmp;
  DaemonFixture d;
  d.write_config();
  REQUIRE(d.start());
  REQUIRE(d.simulate(44, 2, 256) == 0);
  REQUIRE(d.wait_processed(3, 60s));
  d.daemon().signal(SIGTERM);
  REQUIRE(d.daemon().wait(30s) == 0);
  RetrainOutcome r = retrain_once((d.dir() / "state" / "blink.db").string(), (tmp.path() / "models").string(),
                                  nullptr, 100000);
  CHECK_FALSE(r.trained);
  CHECK_FALSE(r.swapped);
  CHECK(r.line.find("waiting for labels") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(tmp.path() / "models" / "retrained.json"));
  RetrainOutcome missing = retrain_once((tmp.path() / "nope.db").string(), (tmp.path() / "models").string(),
                                        nullptr, 10);
  CHECK(missing.line.find("cannot read labels") != std::string::npos);
}
