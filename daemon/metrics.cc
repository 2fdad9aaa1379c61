#include "metrics.h"

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <cmath>

#include "endpoint.h"
#include "process_metrics.h"
#include "realbogus.h"
#include "server_stop.h"

namespace blink {
namespace {

// Latency goals sit exactly on bucket edges: 1 s, 2 s, 5 s and 60 s.
const prometheus::Histogram::BucketBoundaries kSecondsBuckets = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 3, 4, 5, 7.5, 10, 20, 30, 60, 120, 300};
const prometheus::Histogram::BucketBoundaries kNoiseRatioBuckets = {0.5, 0.8, 0.9, 0.95, 1.0, 1.05,
                                                                    1.1, 1.2, 1.5, 2.0,  3.0, 5.0};

int route_index(Route r) { return r == Route::kAlert ? 0 : r == Route::kReview ? 1 : 2; }

}  // namespace

Metrics::Metrics(const std::string& version)
    : registry_(std::make_shared<prometheus::Registry>()),
      process_(std::make_shared<ProcessCollector>()) {
  auto& received = prometheus::BuildCounter()
                       .Name("blink_exposures_received_total")
                       .Help("Exposure messages received, by kind (unknown: envelope unreadable)")
                       .Register(*registry_);
  received_[0] = &received.Add({{"kind", "science"}});
  received_[1] = &received.Add({{"kind", "reference"}});
  received_[2] = &received.Add({{"kind", "unknown"}});
  auto& processed = prometheus::BuildCounter()
                        .Name("blink_exposures_processed_total")
                        .Help(
                            "Exposures processed to the end (candidates stored and published, or "
                            "reference loaded)")
                        .Register(*registry_);
  processed_[0] = &processed.Add({{"kind", "science"}});
  processed_[1] = &processed.Add({{"kind", "reference"}});
  auto& rejected = prometheus::BuildCounter()
                       .Name("blink_exposures_rejected_total")
                       .Help("Exposures rejected, by reason")
                       .Register(*registry_);
  for (RejectReason r : kAllRejectReasons)
    rejected_[r] = &rejected.Add({{"reason", std::string(reject_reason_label(r))}});
  auto& candidates = prometheus::BuildCounter()
                         .Name("blink_candidates_total")
                         .Help("Candidates routed, by route")
                         .Register(*registry_);
  for (Route r : {Route::kAlert, Route::kReview, Route::kRejected})
    candidates_[route_index(r)] = &candidates.Add({{"route", std::string(route_name(r))}});
  auto& classified = prometheus::BuildCounter()
                         .Name("blink_candidates_classified_total")
                         .Help("Candidates by their most probable class (injected fakes excluded)")
                         .Register(*registry_);
  for (int k = 0; k < kNumClasses; ++k)
    classified_[k] = &classified.Add({{"class", std::string(class_name(CandidateClass(k)))}});
  stage_family_ = &prometheus::BuildHistogram()
                       .Name("blink_stage_duration_seconds")
                       .Help("Wall-clock seconds per processing stage")
                       .Register(*registry_);
  for (const char* s : {"decode", "store", "publish"})
    stages_[s] = &stage_family_->Add({{"stage", s}}, kSecondsBuckets);
  exposure_duration_ = &prometheus::BuildHistogram()
                            .Name("blink_exposure_duration_seconds")
                            .Help("Seconds from receiving an exposure to publishing its candidates")
                            .Register(*registry_)
                            .Add({}, kSecondsBuckets);
  shutter_to_publish_ =
      &prometheus::BuildHistogram()
           .Name("blink_shutter_to_publish_seconds")
           .Help("Seconds from the end of the exposure (mjd_obs + exptime_s) to publishing its "
                 "candidates; live exposures only (ended within the last hour)")
           .Register(*registry_)
           .Add({}, kSecondsBuckets);
  queue_depth_ = &prometheus::BuildGauge()
                      .Name("blink_queue_depth")
                      .Help("Accepted exposures waiting for a worker")
                      .Register(*registry_)
                      .Add({});
  references_ = &prometheus::BuildGauge()
                     .Name("blink_references")
                     .Help("Prepared references in memory")
                     .Register(*registry_)
                     .Add({});
  noise_ratio_last_ =
      &prometheus::BuildGauge()
           .Name("blink_difference_noise_ratio")
           .Help("Measured over expected noise of the last difference image (1 is ideal)")
           .Register(*registry_)
           .Add({});
  noise_ratio_ = &prometheus::BuildHistogram()
                      .Name("blink_difference_noise_ratio_distribution")
                      .Help("Measured over expected noise of difference images")
                      .Register(*registry_)
                      .Add({}, kNoiseRatioBuckets);
  signups_ = &prometheus::BuildCounter()
                  .Name("blink_volunteer_signups_total")
                  .Help("Volunteers who signed up")
                  .Register(*registry_)
                  .Add({});
  auto& classifications =
      prometheus::BuildCounter()
          .Name("blink_classifications_total")
          .Help("Volunteer classifications, by answer and by subject kind (training: known truth)")
          .Register(*registry_);
  for (const char* answer : {"real", "bogus", "odd"})
    for (const char* kind : {"candidate", "training"})
      classifications_[std::string(answer) + "/" + kind] =
          &classifications.Add({{"answer", answer}, {"subject", kind}});
  auto& finished = prometheus::BuildCounter()
                       .Name("blink_review_retirements_total")
                       .Help("Review subjects retired, by verdict (escalated: sent to operators)")
                       .Register(*registry_);
  for (const char* outcome : {"real", "bogus", "undecided", "escalated"})
    finished_[outcome] = &finished.Add({{"verdict", outcome}});
  review_depth_ = &prometheus::BuildGauge()
                       .Name("blink_review_queue_depth")
                       .Help("Candidates waiting for volunteers' votes (training subjects excluded)")
                       .Register(*registry_)
                       .Add({});
  review_oldest_ = &prometheus::BuildGauge()
                        .Name("blink_review_queue_oldest_age_seconds")
                        .Help("Age of the oldest candidate still waiting for votes")
                        .Register(*registry_)
                        .Add({});
  volunteers_active_ = &prometheus::BuildGauge()
                            .Name("blink_volunteers_active")
                            .Help("Volunteers who classified in the last 15 minutes")
                            .Register(*registry_)
                            .Add({});
  fakes_injected_ = &prometheus::BuildCounter()
                         .Name("blink_fakes_injected_total")
                         .Help("Synthetic point sources injected into science exposures")
                         .Register(*registry_)
                         .Add({});
  fakes_recovered_ = &prometheus::BuildCounter()
                          .Name("blink_fakes_recovered_total")
                          .Help("Injected synthetic sources recovered as candidates")
                          .Register(*registry_)
                          .Add({});
  auth_family_ = &prometheus::BuildCounter()
                      .Name("blink_auth_refused_total")
                      .Help("Connections refused on a CURVE socket, by surface and reason")
                      .Register(*registry_);
  for (const char* surface : {"ingest", "alerts"})
    for (const char* reason : {"no_curve", "bad_handshake", "key_not_allowed", "other"})
      auth_refused_[std::string(surface) + "/" + reason] =
          &auth_family_->Add({{"surface", surface}, {"reason", reason}});
  auto& shed = prometheus::BuildCounter()
                   .Name("blink_exposures_shed_total")
                   .Help("Exposures dropped before acceptance (SUB mode), by reason")
                   .Register(*registry_);
  for (const char* reason : {"queue_full", "memory", "sequence_gap"})
    shed_[reason] = &shed.Add({{"reason", reason}});
  ingest_waited_ = &prometheus::BuildCounter()
                        .Name("blink_ingest_wait_seconds_total")
                        .Help("Seconds ingest waited for room before reading more (PULL: "
                              "producers were pushed back)")
                        .Register(*registry_)
                        .Add({});
  memory_reserved_ = &prometheus::BuildGauge()
                          .Name("blink_exposure_memory_reserved_bytes")
                          .Help("Memory reserved for exposures queued and in flight")
                          .Register(*registry_)
                          .Add({});
  memory_limit_ = &prometheus::BuildGauge()
                       .Name("blink_exposure_memory_limit_bytes")
                       .Help("What exposures may reserve: pipeline.max_memory_bytes less the "
                             "memory in use at start")
                       .Register(*registry_)
                       .Add({});
  model_info_ = &prometheus::BuildGauge()
                     .Name("blink_model_info")
                     .Help("Always 1; the scoring model in use is in the labels")
                     .Register(*registry_);
  model_info_series_ =
      &model_info_->Add({{"model", "real_bogus"}, {"version", kHeuristicRealBogusVersion}});
  model_info_series_->Set(1);
  prometheus::BuildGauge()
      .Name("blink_build_info")
      .Help("Always 1; the version is in the label")
      .Register(*registry_)
      .Add({{"version", version}})
      .Set(1);
}

Metrics::~Metrics() = default;

void Metrics::set_model_version(const std::string& version) {
  std::lock_guard lock(model_mutex_);
  model_info_->Remove(model_info_series_);
  model_info_series_ = &model_info_->Add({{"model", "real_bogus"}, {"version", version}});
  model_info_series_->Set(1);
}

void Metrics::exposure_received(std::optional<ExposureKind> kind) {
  received_[!kind ? 2 : *kind == ExposureKind::kScience ? 0 : 1]->Increment();
}

void Metrics::exposure_processed(ExposureKind kind) {
  processed_[kind == ExposureKind::kScience ? 0 : 1]->Increment();
}

void Metrics::exposure_rejected(RejectReason reason) { rejected_.at(reason)->Increment(); }

void Metrics::candidates_classified(CandidateClass c, int count) {
  if (count > 0) classified_[int(c)]->Increment(count);
}

void Metrics::candidates_routed(Route route, int count) {
  if (count > 0) candidates_[route_index(route)]->Increment(count);
}

void Metrics::stage_duration(const std::string& stage, double seconds) {
  prometheus::Histogram* h;
  {
    std::lock_guard lock(stage_mutex_);
    auto it = stages_.find(stage);
    if (it == stages_.end())
      it = stages_.emplace(stage, &stage_family_->Add({{"stage", stage}}, kSecondsBuckets)).first;
    h = it->second;
  }
  h->Observe(seconds);
}

void Metrics::exposure_duration(double seconds) { exposure_duration_->Observe(seconds); }

void Metrics::shutter_to_publish(double mjd_obs, double exptime_s, double now_unix) {
  constexpr double kUnixEpochMjd = 40587.0;
  const double ended = (mjd_obs - kUnixEpochMjd) * 86400.0 + exptime_s;
  const double age = now_unix - ended;
  // A replay of old data or a clock far off would swamp the histogram with
  // numbers that say nothing about Blink.
  if (age >= 0 && age <= 3600) shutter_to_publish_->Observe(age);
}
void Metrics::set_queue_depth(size_t depth) { queue_depth_->Set(double(depth)); }
void Metrics::set_references(size_t count) { references_->Set(double(count)); }

void Metrics::difference_noise_ratio(double ratio) {
  if (!std::isfinite(ratio)) return;
  noise_ratio_last_->Set(ratio);
  noise_ratio_->Observe(ratio);
}

void Metrics::volunteer_signed_up() { signups_->Increment(); }

void Metrics::classification(std::string_view answer, bool training) {
  auto it = classifications_.find(std::string(answer) + (training ? "/training" : "/candidate"));
  if (it != classifications_.end()) it->second->Increment();
}

void Metrics::subject_finished(std::string_view outcome) {
  auto it = finished_.find(outcome);
  if (it != finished_.end()) it->second->Increment();
}

void Metrics::set_review_queue(int open_subjects, double oldest_age_seconds,
                               int active_volunteers) {
  review_depth_->Set(open_subjects);
  review_oldest_->Set(oldest_age_seconds);
  volunteers_active_->Set(active_volunteers);
}

void Metrics::auth_refused(const std::string& surface, const std::string& reason) {
  const std::string key = surface + "/" + reason;
  std::lock_guard lock(auth_mutex_);
  auto it = auth_refused_.find(key);
  if (it == auth_refused_.end())
    it = auth_refused_.emplace(key, &auth_family_->Add({{"surface", surface}, {"reason", reason}}))
             .first;
  it->second->Increment();
}

void Metrics::exposures_shed(std::string_view reason, uint64_t count) {
  auto it = shed_.find(reason);
  if (it != shed_.end()) it->second->Increment(double(count));
}

void Metrics::ingest_waited(double seconds) {
  if (seconds > 0) ingest_waited_->Increment(seconds);
}

void Metrics::set_memory_reserved(int64_t bytes, int64_t limit) {
  memory_reserved_->Set(double(bytes));
  memory_limit_->Set(double(limit));
}

void Metrics::fakes(int injected, int recovered) {
  if (injected > 0) fakes_injected_->Increment(injected);
  if (recovered > 0) fakes_recovered_->Increment(recovered);
}

MetricsTotals Metrics::totals() const {
  MetricsTotals t;
  for (auto* c : received_) t.received += c->Value();
  for (auto* c : processed_) t.processed += c->Value();
  for (const auto& [r, c] : rejected_) t.rejected += c->Value();
  t.alert = candidates_[0]->Value();
  t.review = candidates_[1]->Value();
  t.rejected_candidates = candidates_[2]->Value();
  return t;
}

Result<std::unique_ptr<MetricsServer>> MetricsServer::start(const std::string& listen,
                                                            const Metrics& metrics) {
  std::unique_ptr<MetricsServer> server(new MetricsServer());
  try {
    server->exposer_ = std::make_unique<prometheus::Exposer>(listen, 2);
  } catch (const std::exception& e) {
    return Status::unavailable("cannot serve metrics on " + listen + ": " + e.what());
  }
  server->exposer_->RegisterCollectable(metrics.registry());
  server->exposer_->RegisterCollectable(metrics.process_collector());
  auto ports = server->exposer_->GetListeningPorts();
  server->port_ = ports.empty() ? 0 : ports.front();
  if (auto address = parse_listen_address(listen)) server->host_ = address->host;
  return server;
}

MetricsServer::~MetricsServer() {
  if (exposer_) stop_civetweb_promptly([this] { exposer_.reset(); }, host_, port_);
}

}  // namespace blink
