// Talking to the service manager (sd_notify): READY, RELOADING, STOPPING,
// STATUS and watchdog pings. ServiceManager is the interface (tests record
// the messages); SystemdNotifier sends them, and is a harmless no-op when
// blinkd does not run under systemd (no NOTIFY_SOCKET). Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace blink {

// The notifications blinkd sends, over an abstract transport.
class ServiceManager {
 public:
  virtual ~ServiceManager() = default;
  virtual void notify(const std::string& assignments) = 0;  // "READY=1", "STATUS=...", ...

  void ready() { notify("READY=1"); }
  void reloading();  // RELOADING=1 with MONOTONIC_USEC
  void stopping() { notify("STOPPING=1"); }
  void status(const std::string& text) { notify("STATUS=" + text); }
  void watchdog() { notify("WATCHDOG=1"); }
};

// The real one: sd_notify(3) to $NOTIFY_SOCKET.
class SystemdNotifier final : public ServiceManager {
 public:
  void notify(const std::string& assignments) override;
  // WatchdogSec= as the service manager set it for this process, if any.
  static std::optional<std::chrono::microseconds> watchdog_interval();
};

// The watchdog rule: ping only while the pipeline demonstrably progresses —
// nothing is waiting in the queue, or an exposure finished since the last
// check. A worker stuck with work queued behind it stops the pings, and
// systemd restarts the daemon (accepted work is resumed from the spool).
struct Progress {
  size_t queue_depth = 0;
  uint64_t finished = 0;
};
inline bool watchdog_should_ping(const Progress& previous, const Progress& now) {
  return now.queue_depth == 0 || now.finished != previous.finished;
}

}  // namespace blink
