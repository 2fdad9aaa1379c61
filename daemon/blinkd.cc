#include "blinkd.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <thread>
#include <zmq.hpp>

#include "curve_auth.h"
#include "curve_keys.h"
#include "http_api.h"
#include "ingest.h"
#include "log.h"
#include "metrics.h"
#include "publisher.h"
#include "image.h"
#include "service.h"
#include "signals.h"
#include "spool.h"
#include "status_api.h"
#include "store.h"
#include "systemd_notify.h"
#include "report_api.h"
#include "scoring_model.h"
#include "volunteer_api.h"
#include "model_retrainer.h"
#include "volunteer_service.h"

namespace blink {
namespace {

ProcessingSettings processing_settings(const Config& c) {
  ProcessingSettings s;
  s.pipeline = std::make_shared<const DifferencePipeline>(pipeline_options(c));
  s.limits = DecodeLimits{c.limits.max_image_pixels, 65536};
  s.artefact_subjects_per_exposure = c.review.artefact_subjects_per_exposure;
  s.association.radius_arcsec = c.objects.radius_arcsec;
  s.association.lookback_days = c.objects.lookback_days;
  s.association.max_motion_arcsec_per_hour = c.objects.max_motion_arcsec_per_hour;
  s.anomaly = {c.anomaly.window_days, c.anomaly.refit_hours, c.anomaly.min_candidates,
               c.anomaly.max_candidates};
  // Read again on every reload: a new model file is picked up without a restart.
  s.model = load_scoring_model(c.scoring.model, retrained_model_path(c.state.dir));
  s.model_version = scoring_model_version(s.model.get());
  return s;
}

RetrainSettings retrain_settings(const Config& c) {
  return {c.scoring.retrain_hours, c.scoring.retrain_min_labels};
}

RoutingPolicy routing_policy(const Config& c) {
  RoutingPolicy p;
  p.defaults = {c.routing.alert_threshold, c.routing.archive_threshold};
  if (auto overrides = parse_overrides(c.routing.overrides)) p.overrides = *overrides;  // checked on load
  p.anomaly_threshold = c.routing.anomaly_threshold;
  return p;
}

ReviewSettings review_settings(const Config& c) {
  ReviewSettings r;
  r.retirement.real_threshold = c.review.real_threshold;
  r.retirement.bogus_threshold = c.review.bogus_threshold;
  r.retirement.max_votes = c.review.max_votes;
  r.lease_seconds = c.review.lease_seconds;
  r.consensus_weight = c.review.consensus_weight;
  r.training_rate_initial = c.review.training_rate_initial;
  r.training_rate_floor = c.review.training_rate_floor;
  r.training_rate_half_life = c.review.training_rate_half_life;
  return r;
}

// Sends STATUS= every few seconds and feeds the watchdog while the pipeline
// progresses (see watchdog_should_ping). Runs on its own thread until stopped.
class Monitor {
 public:
  Monitor(ServiceManager& manager, Metrics& metrics, const Service& service,
          VolunteerService& volunteers)
      : manager_(manager),
        metrics_(metrics),
        service_(service),
        volunteers_(volunteers),
        thread_([this] { run(); }) {}
  ~Monitor() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

 private:
  void run() {
    using Clock = std::chrono::steady_clock;
    const auto watchdog = SystemdNotifier::watchdog_interval();
    const auto check_every = watchdog ? std::chrono::duration_cast<Clock::duration>(*watchdog / 2)
                                      : Clock::duration::max();
    const auto tick = std::min<Clock::duration>(std::chrono::seconds(1), check_every);
    auto last_status = Clock::now() - std::chrono::hours(1);
    auto last_check = Clock::now();
    Progress previous{service_.queue_depth(), service_.finished()};
    if (watchdog) manager_.watchdog();
    std::unique_lock lock(mutex_);
    for (bool first = true; !stop_; first = false) {
      if (!first) wake_.wait_for(lock, tick, [&] { return stop_; });
      if (stop_) break;
      const auto now = Clock::now();
      metrics_.set_queue_depth(service_.queue_depth());
      metrics_.set_memory_reserved(service_.memory_reserved(), service_.memory_limit());
      if (now - last_status >= std::chrono::seconds(5)) {
        manager_.status(
            status_line(metrics_.totals(), service_.queue_depth(), service_.in_flight()));
        volunteers_.refresh_metrics();
        last_status = now;
      }
      if (watchdog && now - last_check >= check_every) {
        Progress current{service_.queue_depth(), service_.finished()};
        if (watchdog_should_ping(previous, current)) {
          manager_.watchdog();
        } else {
          log_warning("watchdog: no exposure finished in the last check interval with " +
                      std::to_string(current.queue_depth) + " queued; not pinging");
        }
        previous = current;
        last_check = now;
      }
    }
  }

  ServiceManager& manager_;
  Metrics& metrics_;
  const Service& service_;
  VolunteerService& volunteers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// This process's resident memory (bytes), from /proc/self/statm; 0 when unknown.
int64_t resident_bytes() {
  long pages_total = 0, pages_resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages_total, &pages_resident) != 2) pages_resident = 0;
    std::fclose(f);
  }
  return int64_t(pages_resident) * sysconf(_SC_PAGESIZE);
}

void reload(Config& running, const std::optional<std::string>& path, ServiceManager& manager,
            Router& router, SettingsHolder& settings, VolunteerService& volunteers,
            CurveAuthenticator* auth, Metrics& metrics, ModelRetrainer& retrainer) {
  manager.reloading();
  if (!path) {
    log_info("reload: running on embedded defaults (no --config); nothing to re-read");
    manager.ready();
    return;
  }
  log_info("reload: reading " + kv("config", *path));
  auto loaded = load_config_file(*path);
  if (!loaded) {
    log_error("reload failed; keeping the running configuration: " + loaded.status().message());
    manager.ready();
    return;
  }
  std::vector<std::string> ignored = changed_keys_needing_restart(running, *loaded);
  running = with_reloaded_keys(running, *loaded);
  set_log_level(running.log.level);
  router.set_policy(routing_policy(running));
  settings.set(processing_settings(running));
  metrics.set_model_version(settings.get().model_version);
  retrainer.configure(retrain_settings(running), running.scoring.model.empty());
  volunteers.set_settings(review_settings(running));
  if (auth && !running.security.curve_allowed_clients.empty()) {
    auto keys = read_curve_allow_list(running.security.curve_allowed_clients);
    if (keys) {
      auth->set_allowed(*keys);
      log_info("reload: " + kv("allowed_client_keys", (long long)keys->size()) + " from " +
               running.security.curve_allowed_clients);
    } else {
      log_error("reload: keeping the previous CURVE allow-list: " + keys.status().message());
    }
  }
  std::string line =
      "reload applied: routing, review, fakes, log level, subtraction, detection, background, "
      "photometry, limits, threads_per_exposure, scoring.model (exposures in progress finish "
      "with the previous settings)";
  if (!ignored.empty()) line += "; ignored until restart: " + joined(ignored);
  if (ignored.empty()) {
    log_info(line);
  } else {
    log_warning(line);
  }
  manager.ready();
}

}  // namespace

int run_daemon(const Config& config, const std::optional<std::string>& config_path) {
  Config running = config;
  set_log_level(running.log.level);
  SystemdNotifier manager;
  log_info(std::string("starting blinkd ") + kv("version", BLINK_VERSION) + " " +
           kv("config", config_path.value_or("(embedded defaults)")) + " " +
           kv("state", running.state.dir));

  Spool spool(running.state.dir, running.state.quarantine_max_bytes);
  if (Status s = spool.init(); !s) {
    log_error("cannot use the state folder: " + s.message());
    return 1;
  }
  auto store = SqliteStore::open((std::filesystem::path(running.state.dir) / "blink.db").string());
  if (!store) {
    log_error("cannot open the database: " + store.status().message());
    return 1;
  }
  const std::string db_path = (std::filesystem::path(running.state.dir) / "blink.db").string();
  auto reviews = ReviewStore::open(db_path);
  if (!reviews) {
    log_error("cannot open the review tables: " + reviews.status().message());
    return 1;
  }
  Metrics metrics(BLINK_VERSION);
  auto metrics_server = MetricsServer::start(running.metrics.listen, metrics);
  if (!metrics_server) {
    log_error(metrics_server.status().message());
    return 1;
  }
  ReferenceCache references;
  Router router(routing_policy(running));
  SettingsHolder settings(processing_settings(running));
  metrics.set_model_version(settings.get().model_version);
  ModelRetrainer retrainer(db_path, (std::filesystem::path(running.state.dir) / "models").string(),
                           settings, metrics);
  retrainer.configure(retrain_settings(running), running.scoring.model.empty());
  zmq::context_t zmq_context(1);
  // CURVE on the ingest and alerts sockets (security.*); the authenticator
  // must go before the context, so it is declared after it.
  std::optional<CurveKeyPair> curve;
  std::string camera_key;
  std::unique_ptr<CurveAuthenticator> auth;
  if (!running.security.curve_secret_key.empty()) {
    if (!curve_available()) {
      log_error("security.curve_secret_key is set but this libzmq has no CURVE support");
      return 1;
    }
    auto pair = read_curve_secret_file(running.security.curve_secret_key);
    if (!pair) {
      log_error("security.curve_secret_key: " + pair.status().message());
      return 1;
    }
    curve = *pair;
    std::vector<std::string> allowed;
    if (!running.security.curve_allowed_clients.empty()) {
      auto keys = read_curve_allow_list(running.security.curve_allowed_clients);
      if (!keys) {
        log_error("security.curve_allowed_clients: " + keys.status().message());
        return 1;
      }
      allowed = *keys;
    } else {
      log_warning("CURVE without security.curve_allowed_clients: traffic is encrypted, but any "
                  "client that knows our public key is accepted");
    }
    if (running.ingest.mode == IngestMode::kSub) {
      auto key = read_curve_public_file(running.security.curve_camera_public_key);
      if (!key) {
        log_error("security.curve_camera_public_key: " + key.status().message());
        return 1;
      }
      camera_key = *key;
    }
    auto started = CurveAuthenticator::start(
        zmq_context, allowed, [&metrics](const std::string& surface, AuthRefusal reason) {
          metrics.auth_refused(surface, auth_refusal_name(reason));
        });
    if (!started) {
      log_error(started.status().message());
      return 1;
    }
    auth = std::move(*started);
    log_info("CURVE on ingest and alerts " + kv("public_key", curve->public_key) + " " +
             kv("allowed_client_keys", (long long)allowed.size()));
  }
  auto publisher = ZmqPublisher::bind(zmq_context, running.alerts.endpoint,
                                      running.alerts.high_water_mark,
                                      curve ? &*curve : nullptr, auth.get());
  if (!publisher) {
    log_error(publisher.status().message());
    return 1;
  }
  (*publisher)->set_forms(running.alerts.avro ? AlertForms::kJsonAndAvro : AlertForms::kJson);
  ServiceOptions options{running.pipeline.workers, size_t(running.pipeline.queue_size),
                         running.ingest.max_message_bytes, running.pipeline.max_memory_bytes,
                         running.ingest.mode == IngestMode::kSub};
  DefectModels defects(std::filesystem::path(running.state.dir) / "defects");
  Service service({**store, spool, references, defects, **publisher, metrics, router, settings},
                  options);

  VolunteerService volunteers(**reviews, **store, **publisher, &metrics, review_settings(running));
  VolunteerApi volunteer_api(volunteers, running.http.operator_token,
                             {running.http.rate_limit_per_address,
                              running.http.rate_limit_per_volunteer,
                              running.http.signups_per_address_per_hour});
  ReportApi report_api(**store, volunteers);

  Readiness readiness;
  readiness.set_not_ready("loading references");
  DaemonApi api(readiness, **store, references, metrics, service,
                std::chrono::seconds(running.http.ready_stall_seconds),
                {[&](const HttpRequest& r) { return volunteer_api.handle(r); },
                 [&](const HttpRequest& r) { return report_api.handle(r); }});
  const auto web_root = resolve_web_root(running.http.web_root);
  const bool split = !running.http.operator_listen.empty();
  auto http = HttpServer::start(running.http.listen, web_root, api, running.http.operator_token,
                                split ? HttpSurface::kPublic : HttpSurface::kAll);
  if (!http) {
    log_error(http.status().message());
    return 1;
  }
  std::unique_ptr<HttpServer> operator_http;
  if (split) {
    auto started = HttpServer::start(running.http.operator_listen, web_root, api,
                                     running.http.operator_token, HttpSurface::kOperator);
    if (!started) {
      log_error("http.operator_listen: " + started.status().message());
      return 1;
    }
    operator_http = std::move(*started);
  }
  if (web_root.empty() || !std::filesystem::is_regular_file(web_root / "index.html"))
    log_warning("no page to serve: " + kv("web_root", web_root.string()) +
                " has no index.html (see http.web_root); serving the API only");

  manager.status("recovering state and loading references");
  // Preparing many references can take a while: keep systemd's start timeout ahead of it.
  auto progress = [&manager](size_t loaded, size_t total) {
    manager.notify("EXTEND_TIMEOUT_USEC=120000000\nSTATUS=loading references: " +
                   std::to_string(loaded) + " of " + std::to_string(total));
  };
  if (Status s = service.recover_and_load_references(progress); !s) {
    log_error("start-up recovery failed: " + s.message());
    return 1;
  }
  // The bound covers the whole process: what exposures may hold is what is
  // left once the fixed part (code, database, references) is in memory.
  const int64_t fixed = resident_bytes();
  service.set_memory_limit(std::max<int64_t>(running.pipeline.max_memory_bytes - fixed, 0));
  // Freed pixel planes kept for the next exposure stay resident: a quarter
  // of the exposures' share of the bound at most.
  set_plane_cache_limit(size_t(service.memory_limit() / 4));
  log_info("memory: " + kv("bound_mib", (long long)(running.pipeline.max_memory_bytes >> 20)) + " " +
           kv("in_use_at_start_mib", (long long)(fixed >> 20)) + " " +
           kv("for_exposures_mib", (long long)(service.memory_limit() >> 20)));
  auto ingest = Ingest::open(
      zmq_context,
      {running.ingest.mode, running.ingest.endpoint, running.ingest.max_message_bytes,
       running.ingest.high_water_mark, curve ? &*curve : nullptr, camera_key, auth.get()});
  if (!ingest) {
    log_error(ingest.status().message());
    return 1;
  }

  service.start_workers();
  std::thread ingest_thread([&] {
    service.resume_unfinished();
    (*ingest)->run([&](RawMessage m) { service.accept(std::move(m)); });
  });
  readiness.set_ready();
  manager.ready();
  log_info("ready " + kv("ingest", running.ingest.endpoint) + " " +
           kv("mode", running.ingest.mode == IngestMode::kPull ? "pull" : "sub") + " " +
           kv("alerts", running.alerts.endpoint) + " " + kv("http_port", (*http)->port()) + " " +
           (operator_http ? kv("operator_port", operator_http->port()) + " " : std::string()) +
           kv("metrics_port", (*metrics_server)->port()) + " " +
           kv("references", references.size()) + " " + kv("workers", running.pipeline.workers) +
           " " + kv("web_root", web_root.string()));
  auto monitor = std::make_unique<Monitor>(manager, metrics, service, volunteers);

  // The main thread is the signal thread from here on.
  for (;;) {
    int sig = wait_for_signal(std::chrono::milliseconds(500));
    if (sig == SIGHUP)
      reload(running, config_path, manager, router, settings, volunteers, auth.get(), metrics,
             retrainer);
    if (sig == SIGTERM || sig == SIGINT) break;
  }

  manager.stopping();
  readiness.set_not_ready("stopping");
  log_info("stopping: no more input; finishing " + kv("queued", service.queue_depth()) + " " +
           kv("in_flight", service.in_flight()) +
           " (signal again to leave the queued ones for the next start)");
  std::atomic<bool> drained{false};
  std::thread drainer([&] {
    service.request_stop();
    (*ingest)->stop();
    ingest_thread.join();
    service.drain_and_stop();
    drained.store(true);
  });
  bool abandoned = false;
  while (!drained.load()) {
    int sig = wait_for_signal(std::chrono::milliseconds(200));
    if ((sig == SIGTERM || sig == SIGINT) && !abandoned) {
      abandoned = true;
      size_t left = service.abandon_queued();
      log_warning("stopping now: " + kv("left_queued", left) +
                  " exposures stay accepted for the next start");
    }
  }
  drainer.join();
  monitor.reset();
  (*publisher)->close();
  operator_http.reset();
  http->reset();
  MetricsTotals t = metrics.totals();
  log_info("stopped " + kv("processed", t.processed) + " " + kv("rejected", t.rejected));
  return 0;
}

}  // namespace blink
