// The HTTP API's view of the running daemon: readiness, live counts, the
// references in memory, and recent candidates and exposures from the store.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <vector>
#include <mutex>
#include <string>

#include "http_api.h"
#include "metrics.h"
#include "reference_cache.h"
#include "service.h"
#include "store.h"

namespace blink {

// Why the daemon is not ready, as start-up and shutdown progress. Thread-safe.
class Readiness {
 public:
  void set_not_ready(std::string reason) {
    std::lock_guard lock(mutex_);
    reason_ = std::move(reason);
  }
  void set_ready() { set_not_ready(""); }
  std::string reason() const {
    std::lock_guard lock(mutex_);
    return reason_;
  }

 private:
  mutable std::mutex mutex_;
  std::string reason_ = "starting";
};

// Whether the pipeline is stalled: exposures are queued or in flight and none
// finished for `limit`. Fed the live counts on each readiness check; the
// clock is passed in so tests can step it. Not thread-safe: DaemonApi guards it.
class StallWatch {
 public:
  using Clock = std::chrono::steady_clock;
  explicit StallWatch(std::chrono::seconds limit) : limit_(limit) {}
  // Empty while progressing (or idle, or limit 0); otherwise why it is stalled.
  std::string check(size_t queued, size_t in_flight, uint64_t finished, Clock::time_point now);

 private:
  std::chrono::seconds limit_;
  bool seen_ = false;
  bool idle_ = true;
  uint64_t finished_ = 0;
  Clock::time_point progress_at_{};
};

// A handler of some paths: the response when it owns the path, else nullopt.
using RequestHandler = std::function<std::optional<HttpResponse>(const HttpRequest&)>;

// ApiBackend over the running daemon's parts, all borrowed and thread-safe.
class DaemonApi final : public ApiBackend {
 public:
  DaemonApi(Readiness& readiness, Store& store, ReferenceCache& references, Metrics& metrics,
            const Service& service, std::chrono::seconds ready_stall = std::chrono::seconds(0),
            std::vector<RequestHandler> handlers = {})
      : readiness_(readiness),
        store_(store),
        references_(references),
        metrics_(metrics),
        service_(service),
        stall_(ready_stall),
        handlers_(std::move(handlers)) {}

  // The start-up/shutdown reason, else "queue stalled: ..." (see StallWatch).
  std::string not_ready_reason() override;
  // Sends this process SIGHUP: the signal thread reloads exactly as for `kill -HUP`.
  Status request_reload() override;
  nlohmann::ordered_json status() override;
  Result<nlohmann::ordered_json> candidates(std::optional<Route> route, int limit) override;
  Result<nlohmann::ordered_json> exposures(int limit) override;
  // The first of `handlers` that owns the request's path answers it.
  std::optional<HttpResponse> handle(const HttpRequest& request) override {
    for (const auto& h : handlers_)
      if (auto r = h(request)) return r;
    return std::nullopt;
  }

 private:
  Readiness& readiness_;
  Store& store_;
  ReferenceCache& references_;
  Metrics& metrics_;
  const Service& service_;
  std::mutex stall_mutex_;
  StallWatch stall_;
  std::vector<RequestHandler> handlers_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

// One line for systemd's STATUS=: processed, rejected, queue, candidates.
std::string status_line(const MetricsTotals& totals, size_t queue_depth, size_t in_flight);

}  // namespace blink
