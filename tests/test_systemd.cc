// The shipped unit: systemd-analyze verify passes on a copy whose ExecStart
// is the built blinkd, and the sandbox rates as well hardened.
#include <sys/un.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <regex>

#include "test_support.h"

using namespace blink::testing;

namespace {

const char* kAnalyze = "/usr/bin/systemd-analyze";

// The unit with ExecStart pointing at the blinkd of this build, in `dir`.
std::filesystem::path unit_copy(const std::filesystem::path& dir) {
  std::string unit = read_text(std::string(BLINK_SOURCE_DIR) + "/systemd/blinkd.service");
  const std::string from = "/usr/bin/blinkd";
  const auto at = unit.find(from);
  REQUIRE(at != std::string::npos);
  unit.replace(at, from.size(), std::string(BLINK_BINARY_DIR) + "/daemon/blinkd");
  auto path = dir / "blinkd.service";
  std::ofstream(path) << unit;
  return path;
}

bool can_analyze() {
  if (!std::filesystem::exists(kAnalyze)) {
    WARN("systemd-analyze is not installed; skipping the unit checks");
    return false;
  }
  if (!std::filesystem::exists(std::string(BLINK_BINARY_DIR) + "/daemon/blinkd")) {
    WARN("blinkd is not built; skipping the unit checks");
    return false;
  }
  return true;
}

}  // namespace

TEST_CASE("systemd: the unit passes systemd-analyze verify") {
  if (!can_analyze()) return;
  TempDir tmp;
  auto unit = unit_copy(tmp.path());
  const auto log = tmp.path() / "verify.log";
  Child verify({kAnalyze, "verify", unit.string()}, log.string());
  int rc = verify.wait(std::chrono::seconds(30));
  std::string out = read_text(log);
  INFO(out);
  CHECK(rc == 0);
  CHECK(out.find("blinkd.service") == std::string::npos);
}

TEST_CASE("systemd: the unit's sandbox rates at most 2.0 in systemd-analyze security") {
  if (!can_analyze()) return;
  TempDir tmp;
  auto unit = unit_copy(tmp.path());
  const auto log = tmp.path() / "security.log";
  Child security({kAnalyze, "security", "--offline=true", unit.string()}, log.string());
  int rc = security.wait(std::chrono::seconds(30));
  std::string out = read_text(log);
  INFO(out);
  CHECK(rc == 0);
  std::smatch m;
  REQUIRE(std::regex_search(
      out, m, std::regex(R"(Overall exposure level for blinkd\.service: ([0-9.]+))")));
  CHECK(std::stod(m[1].str()) <= 2.0);
}

TEST_CASE("systemd: the unit declares the contract's service settings") {
  std::string unit = read_text(std::string(BLINK_SOURCE_DIR) + "/systemd/blinkd.service");
  for (const char* line :
       {"Type=notify", "ExecStart=/usr/bin/blinkd --config /etc/blink/blink.toml",
        "ExecReload=/bin/kill -HUP $MAINPID", "WatchdogSec=60", "Restart=on-failure",
        "TimeoutStopSec=120", "DynamicUser=yes", "StateDirectory=blink", "UMask=0077",
        "ProtectSystem=strict", "NoNewPrivileges=yes", "CapabilityBoundingSet=\n",
        "SystemCallFilter=@system-service", "SystemCallArchitectures=native",
        "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX", "MemoryDenyWriteExecute=yes"}) {
    INFO(line);
    CHECK(unit.find(line) != std::string::npos);
  }
}

namespace {

// A stand-in for systemd's notification socket: collects what blinkd sends.
class NotifySocket {
 public:
  explicit NotifySocket(const std::filesystem::path& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    timeval tv{0, 50000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~NotifySocket() { ::close(fd_); }
  // Reads datagrams until one contains `what` or `timeout` passes.
  bool wait_for(const std::string& what, std::chrono::milliseconds timeout) {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
      if (received_.find(what) != std::string::npos) return true;
      char buf[4096];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n > 0) received_.append(buf, size_t(n)).append("\n");
    }
    return received_.find(what) != std::string::npos;
  }
  const std::string& received() const { return received_; }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  std::string received_;
};

}  // namespace

TEST_CASE("systemd: blinkd sends READY, STATUS, WATCHDOG, RELOADING and STOPPING") {
  const std::string blinkd = std::string(BLINK_BINARY_DIR) + "/daemon/blinkd";
  if (!std::filesystem::exists(blinkd)) {
    WARN("blinkd is not built; skipping");
    return;
  }
  TempDir tmp;
  NotifySocket notify(tmp.path() / "notify.sock");
  const auto config = tmp.path() / "blink.toml";
  std::ofstream(config) << "[ingest]\nendpoint = \"tcp://127.0.0.1:" << free_port() << "\"\n"
                        << "[alerts]\nendpoint = \"tcp://127.0.0.1:" << free_port() << "\"\n"
                        << "[http]\nlisten = \"127.0.0.1:" << free_port() << "\"\n"
                        << "[metrics]\nlisten = \"127.0.0.1:" << free_port() << "\"\n"
                        << "[state]\ndir = \"" << (tmp.path() / "state").string() << "\"\n";
  ::setenv("NOTIFY_SOCKET", (tmp.path() / "notify.sock").c_str(), 1);
  ::setenv("WATCHDOG_USEC", "200000", 1);
  Child daemon({blinkd, "--config", config.string()}, (tmp.path() / "blinkd.log").string());
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("WATCHDOG_USEC");
  INFO(read_text(tmp.path() / "blinkd.log"));
  CHECK(notify.wait_for("READY=1", std::chrono::seconds(5)));
  CHECK(notify.wait_for("STATUS=processed 0, rejected 0, queue 0", std::chrono::seconds(2)));
  CHECK(notify.wait_for("WATCHDOG=1", std::chrono::seconds(2)));
  daemon.signal(SIGHUP);
  CHECK(notify.wait_for("RELOADING=1", std::chrono::seconds(2)));
  daemon.signal(SIGTERM);
  CHECK(notify.wait_for("STOPPING=1", std::chrono::seconds(2)));
  CHECK(daemon.wait(std::chrono::seconds(10)) == 0);
  INFO(notify.received());
  CHECK_THAT(read_text(tmp.path() / "blinkd.log"),
             Catch::Contains("<6>ready") && Catch::Contains("<6>stopped"));
}
