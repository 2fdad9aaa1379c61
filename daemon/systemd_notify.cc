#include "systemd_notify.h"

#include <systemd/sd-daemon.h>
#include <time.h>

namespace blink {

void ServiceManager::reloading() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  uint64_t usec = uint64_t(ts.tv_sec) * 1000000 + uint64_t(ts.tv_nsec) / 1000;
  notify("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

void SystemdNotifier::notify(const std::string& assignments) { sd_notify(0, assignments.c_str()); }

std::optional<std::chrono::microseconds> SystemdNotifier::watchdog_interval() {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) return std::chrono::microseconds(usec);
  return std::nullopt;
}

}  // namespace blink
