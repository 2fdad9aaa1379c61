// A real blinkd on free loopback ports with its own state folder, for the
// operations tests (blinkctl, reload, drain): writes the configuration,
// starts and restarts the daemon, streams blink-sim into it and waits.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "test_support.h"

namespace blink::testing {

class DaemonFixture {
 public:
  DaemonFixture()
      : ingest_(free_port()), alerts_(free_port()), http_(free_port()), metrics_(free_port()) {}

  // Writes blink.toml: the ports and state folder, then `extra` TOML (sections
  // other than ingest/alerts/http/metrics/state, or `http_extra` inside [http]).
  void write_config(const std::string& extra = "", const std::string& http_extra = "") {
    std::ofstream(config()) << "[ingest]\nendpoint = \"tcp://127.0.0.1:" << ingest_ << "\"\n"
                            << "[alerts]\nendpoint = \"tcp://127.0.0.1:" << alerts_ << "\"\n"
                            << "[http]\nlisten = \"127.0.0.1:" << http_ << "\"\n"
                            << http_extra << "[metrics]\nlisten = \"127.0.0.1:" << metrics_
                            << "\"\n[state]\ndir = \"" << (dir_.path() / "state").string() << "\"\n"
                            << extra;
  }

  // Starts blinkd (the log appends to blinkd.log) and waits until /readyz is 200.
  bool start() {
    launch();
    return wait_ready();
  }

  // Starts blinkd without waiting (a previous daemon must have exited).
  void launch() {
    daemon_ = std::make_unique<Child>(
        std::vector<std::string>{bin() + "/daemon/blinkd", "--config", config().string()},
        log_path().string());
  }

  // Waits until /readyz answers 200; false after `attempts` x 50 ms.
  bool wait_ready(int attempts = 300) {
    for (int i = 0; i < attempts; ++i) {
      if (http_get(http_, "/readyz").status == 200) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  // Streams a simulated night; returns blink-sim's exit code.
  int simulate(int seed, int epochs, int size) {
    Child sim({bin() + "/tools/blink-sim", "--seed", std::to_string(seed), "--fields", "1",
               "--epochs", std::to_string(epochs), "--size", std::to_string(size), "--endpoint",
               "tcp://127.0.0.1:" + std::to_string(ingest_), "--quiet"},
              (dir_.path() / "sim.log").string());
    return sim.wait(std::chrono::seconds(60));
  }

  nlohmann::json status() {
    auto r = http_get(http_, "/api/v1/status");
    return r.status == 200 ? nlohmann::json::parse(r.body) : nlohmann::json();
  }

  // Waits until `processed` exposures are processed (status API); false on timeout.
  bool wait_processed(int processed, std::chrono::seconds timeout = std::chrono::seconds(60)) {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
      auto s = status();
      if (s.is_object() && s["exposures"]["processed"].get<int>() >= processed &&
          s["queue_depth"].get<int>() == 0 && s["in_flight"].get<int>() == 0)
        return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  static std::string bin() { return BLINK_BINARY_DIR; }
  Child& daemon() { return *daemon_; }
  const std::filesystem::path& dir() const { return dir_.path(); }
  std::filesystem::path config() const { return dir_.path() / "blink.toml"; }
  std::filesystem::path log_path() const { return dir_.path() / "blinkd.log"; }
  std::string log() const { return read_text(log_path()); }
  int http_port() const { return http_; }
  int ingest_port() const { return ingest_; }
  int alerts_port() const { return alerts_; }
  int metrics_port() const { return metrics_; }
  std::string metrics() const { return http_get(metrics_, "/metrics").body; }
  std::string http_address() const { return "127.0.0.1:" + std::to_string(http_); }

 private:
  TempDir dir_;
  int ingest_, alerts_, http_, metrics_;
  std::unique_ptr<Child> daemon_;
};

// Runs `argv` with stdout and stderr to `out_path`; returns its exit code.
inline int run_command(const std::vector<std::string>& argv, const std::filesystem::path& out_path,
                       std::chrono::seconds timeout = std::chrono::seconds(30)) {
  std::filesystem::remove(out_path);
  Child c(argv, out_path.string());
  return c.wait(timeout);
}

}  // namespace blink::testing
