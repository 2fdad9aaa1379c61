// Blink's Prometheus metrics (prometheus-cpp) and the server that exposes
// them. Metrics owns the registry and keeps a reference to every series it
// updates (Family::Add is slow, so it runs once per series). All methods are
// thread-safe. No exposure or candidate ids ever become labels.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "classes.h"
#include "envelope.h"
#include "rejection.h"
#include "router.h"
#include "status.h"

namespace prometheus {
class Registry;
class Collectable;
class Counter;
class Gauge;
class Histogram;
class Exposer;
template <typename T>
class Family;
}  // namespace prometheus

namespace blink {

// Totals since start-up, for the status API and systemd STATUS=.
struct MetricsTotals {
  double received = 0, processed = 0, rejected = 0;
  double alert = 0, review = 0, rejected_candidates = 0;
};

// Owns the registry and every series; Family::Add runs at construction (and
// once per new stage name, under a lock); other updates take no lock.
class Metrics {
 public:
  explicit Metrics(const std::string& version);
  ~Metrics();
  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }
  // process_* series (CPU, memory, file descriptors), read at each scrape.
  std::shared_ptr<prometheus::Collectable> process_collector() const { return process_; }

  // `kind` is nullopt when the envelope could not be read ("unknown").
  void exposure_received(std::optional<ExposureKind> kind);
  void exposure_processed(ExposureKind kind);
  void exposure_rejected(RejectReason reason);
  void candidates_routed(Route route, int count);
  void candidates_classified(CandidateClass c, int count);
  void stage_duration(const std::string& stage, double seconds);
  void exposure_duration(double seconds);  // received to published
  // The end of the exposure to published, observed only for a live stream:
  // exposures that ended within the last hour of `now_unix`.
  void shutter_to_publish(double mjd_obs, double exptime_s, double now_unix);
  void set_queue_depth(size_t depth);
  void set_references(size_t count);
  void difference_noise_ratio(double ratio);
  // The volunteer review. `answer` is real, bogus or odd.
  void volunteer_signed_up();
  void classification(std::string_view answer, bool training);
  // `outcome`: real, bogus, undecided or escalated.
  void subject_finished(std::string_view outcome);
  void set_review_queue(int open_subjects, double oldest_age_seconds, int active_volunteers);
  void fakes(int injected, int recovered);
  // Security and overload. `surface`: ingest or alerts; `reason`: auth_refusal_name().
  void auth_refused(const std::string& surface, const std::string& reason);
  // Exposures dropped before acceptance (SUB mode): `reason` queue_full,
  // memory (budget full) or sequence_gap (lost on the way; counted from gaps in "seq").
  void exposures_shed(std::string_view reason, uint64_t count = 1);
  // Seconds the ingest thread waited for room (PULL mode: producers pushed back).
  void ingest_waited(double seconds);
  void set_memory_reserved(int64_t bytes, int64_t limit);

  // blink_model_info{model="real_bogus",version=...}: the model loaded (start-up, reload).
  void set_model_version(const std::string& version);

  MetricsTotals totals() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<prometheus::Collectable> process_;
  prometheus::Counter* received_[3];  // science, reference, unknown
  prometheus::Counter* processed_[2];
  std::map<RejectReason, prometheus::Counter*> rejected_;
  prometheus::Counter* candidates_[3];  // by Route
  prometheus::Counter* classified_[kNumClasses];
  prometheus::Family<prometheus::Histogram>* stage_family_;
  std::mutex stage_mutex_;
  std::map<std::string, prometheus::Histogram*> stages_;
  prometheus::Histogram* exposure_duration_;
  prometheus::Histogram* shutter_to_publish_;
  prometheus::Gauge* queue_depth_;
  prometheus::Gauge* references_;
  prometheus::Gauge* noise_ratio_last_;
  prometheus::Histogram* noise_ratio_;
  prometheus::Counter* signups_;
  std::map<std::string, prometheus::Counter*, std::less<>> classifications_;  // "answer/kind"
  std::map<std::string, prometheus::Counter*, std::less<>> finished_;
  prometheus::Gauge* review_depth_;
  prometheus::Gauge* review_oldest_;
  prometheus::Gauge* volunteers_active_;
  prometheus::Counter* fakes_injected_;
  prometheus::Counter* fakes_recovered_;
  std::mutex model_mutex_;  // guards the blink_model_info series
  prometheus::Family<prometheus::Gauge>* model_info_;
  prometheus::Gauge* model_info_series_;
  prometheus::Family<prometheus::Counter>* auth_family_;
  std::mutex auth_mutex_;
  std::map<std::string, prometheus::Counter*> auth_refused_;  // "surface/reason"
  std::map<std::string, prometheus::Counter*, std::less<>> shed_;
  prometheus::Counter* ingest_waited_;
  prometheus::Gauge* memory_reserved_;
  prometheus::Gauge* memory_limit_;
};

// The HTTP endpoint Prometheus scrapes (http://<listen>/metrics). It holds
// only a weak pointer to the registry: the Metrics must outlive it.
class MetricsServer {
 public:
  static Result<std::unique_ptr<MetricsServer>> start(const std::string& listen,
                                                      const Metrics& metrics);
  ~MetricsServer();
  int port() const { return port_; }

 private:
  MetricsServer() = default;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::string host_;
  int port_ = 0;
};

}  // namespace blink
