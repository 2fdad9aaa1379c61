#include "status_api.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>

#include "candidate_json.h"

namespace blink {
namespace {

nlohmann::ordered_json number_or_null(double v) {
  return std::isfinite(v) ? nlohmann::ordered_json(v) : nlohmann::ordered_json(nullptr);
}

}  // namespace

std::string StallWatch::check(size_t queued, size_t in_flight, uint64_t finished,
                              Clock::time_point now) {
  // Work that arrived since an idle check counts from this check on.
  const bool idle = queued == 0 && in_flight == 0;
  const bool was_idle = idle_;
  idle_ = idle;
  if (!seen_ || idle || was_idle || finished != finished_) {
    seen_ = true;
    finished_ = finished;
    progress_at_ = now;
    return "";
  }
  if (limit_.count() == 0 || now - progress_at_ < limit_) return "";
  const auto waited = std::chrono::duration_cast<std::chrono::seconds>(now - progress_at_);
  return "queue stalled: " + std::to_string(queued) + " queued and " + std::to_string(in_flight) +
         " in flight, none finished in the last " + std::to_string(waited.count()) +
         " s (http.ready_stall_seconds = " + std::to_string(limit_.count()) + ")";
}

std::string DaemonApi::not_ready_reason() {
  std::string reason = readiness_.reason();
  if (!reason.empty()) return reason;
  std::lock_guard lock(stall_mutex_);
  return stall_.check(service_.queue_depth(), service_.in_flight(), service_.finished(),
                      StallWatch::Clock::now());
}

Status DaemonApi::request_reload() {
  if (::kill(::getpid(), SIGHUP) != 0)
    return Status::internal(std::string("cannot signal blinkd: ") + std::strerror(errno));
  return Status::ok();
}

nlohmann::ordered_json DaemonApi::status() {
  MetricsTotals t = metrics_.totals();
  nlohmann::ordered_json j;
  j["version"] = BLINK_VERSION;
  j["uptime_s"] =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  std::string reason = not_ready_reason();
  j["ready"] = reason.empty();
  if (!reason.empty()) j["not_ready_reason"] = reason;
  auto count = [](double v) { return static_cast<int64_t>(v); };
  j["exposures"] = {{"received", count(t.received)},
                    {"processed", count(t.processed)},
                    {"rejected", count(t.rejected)}};
  j["queue_depth"] = service_.queue_depth();
  j["in_flight"] = service_.in_flight();
  j["candidates"] = {{"alert", count(t.alert)},
                     {"review", count(t.review)},
                     {"rejected", count(t.rejected_candidates)}};
  auto refs = nlohmann::ordered_json::array();
  for (const ReferenceInfo& r : references_.list()) {
    refs.push_back({{"field", r.key.field},
                    {"band", r.key.band},
                    {"ccd", r.key.ccd},
                    {"exposure_id", r.exposure_id},
                    {"loaded_unix", r.loaded_unix}});
  }
  j["references"] = std::move(refs);
  return j;
}

Result<nlohmann::ordered_json> DaemonApi::candidates(std::optional<Route> route, int limit) {
  auto rows = store_.recent_candidates(route, limit);
  if (!rows) return rows.status();
  nlohmann::ordered_json j;
  j["route"] = route ? nlohmann::ordered_json(route_name(*route)) : nlohmann::ordered_json(nullptr);
  j["limit"] = limit;
  auto list = nlohmann::ordered_json::array();
  for (const CandidateRow& r : *rows)
    list.push_back(candidate_json(r.exposure, r.method, r.candidate));
  j["candidates"] = std::move(list);
  return j;
}

Result<nlohmann::ordered_json> DaemonApi::exposures(int limit) {
  auto rows = store_.recent_exposures(limit);
  if (!rows) return rows.status();
  nlohmann::ordered_json j;
  j["limit"] = limit;
  auto list = nlohmann::ordered_json::array();
  for (const ExposureRow& r : *rows) {
    nlohmann::ordered_json e;
    e["exposure_id"] = r.envelope.exposure_id;
    e["kind"] = exposure_kind_name(r.envelope.kind);
    e["field"] = r.envelope.field;
    e["band"] = r.envelope.band;
    e["ccd"] = r.envelope.ccd;
    e["mjd_obs"] = number_or_null(r.envelope.mjd_obs);
    e["exptime_s"] = number_or_null(r.envelope.exptime_s);
    e["state"] = exposure_state_name(r.state);
    e["received_unix"] = number_or_null(r.received_unix);
    e["finished_unix"] = r.finished_unix > 0 ? nlohmann::ordered_json(r.finished_unix) : nullptr;
    e["method"] =
        r.method.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(r.method);
    e["n_candidates"] = r.n_candidates;
    e["noise_ratio"] = number_or_null(r.noise_ratio);
    e["reject_reason"] = r.reject_reason.empty() ? nlohmann::ordered_json(nullptr)
                                                 : nlohmann::ordered_json(r.reject_reason);
    e["error"] =
        r.error.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(r.error);
    list.push_back(std::move(e));
  }
  j["exposures"] = std::move(list);
  return j;
}

std::string status_line(const MetricsTotals& t, size_t queue_depth, size_t in_flight) {
  auto n = [](double v) { return std::to_string(static_cast<long long>(v)); };
  return "processed " + n(t.processed) + ", rejected " + n(t.rejected) + ", queue " +
         std::to_string(queue_depth) + ", in flight " + std::to_string(in_flight) +
         ", candidates " + n(t.alert + t.review + t.rejected_candidates) + " (alert " + n(t.alert) +
         ", review " + n(t.review) + ", rejected " + n(t.rejected_candidates) + ")";
}

}  // namespace blink
