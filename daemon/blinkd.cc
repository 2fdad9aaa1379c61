#include "blinkd.h"

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <thread>
#include <zmq.hpp>

#include "http_api.h"
#include "ingest.h"
#include "log.h"
#include "metrics.h"
#include "publisher.h"
#include "service.h"
#include "signals.h"
#include "spool.h"
#include "status_api.h"
#include "store.h"
#include "systemd_notify.h"
#include "report_api.h"
#include "volunteer_api.h"
#include "volunteer_service.h"

namespace blink {
namespace {

ProcessingSettings processing_settings(const Config& c) {
  return {std::make_shared<const DifferencePipeline>(pipeline_options(c)),
          DecodeLimits{c.limits.max_image_pixels, 65536},
          c.review.artefact_subjects_per_exposure};
}

ReviewSettings review_settings(const Config& c) {
  ReviewSettings r;
  r.retirement.real_threshold = c.review.real_threshold;
  r.retirement.bogus_threshold = c.review.bogus_threshold;
  r.retirement.max_votes = c.review.max_votes;
  r.lease_seconds = c.review.lease_seconds;
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

void reload(Config& running, const std::optional<std::string>& path, ServiceManager& manager,
            Router& router, SettingsHolder& settings, VolunteerService& volunteers) {
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
  router.set_thresholds({running.routing.alert_threshold, running.routing.archive_threshold});
  settings.set(processing_settings(running));
  volunteers.set_settings(review_settings(running));
  std::string line =
      "reload applied: routing, review, fakes, log level, subtraction, detection, background, "
      "photometry, limits, threads_per_exposure (exposures in progress finish with the previous "
      "settings)";
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
  Router router({running.routing.alert_threshold, running.routing.archive_threshold});
  SettingsHolder settings(processing_settings(running));
  zmq::context_t zmq_context(1);
  auto publisher =
      ZmqPublisher::bind(zmq_context, running.alerts.endpoint, running.alerts.high_water_mark);
  if (!publisher) {
    log_error(publisher.status().message());
    return 1;
  }
  ServiceOptions options{running.pipeline.workers, size_t(running.pipeline.queue_size),
                         running.ingest.max_message_bytes};
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
  auto http = HttpServer::start(running.http.listen, web_root, api, running.http.operator_token);
  if (!http) {
    log_error(http.status().message());
    return 1;
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
  auto ingest =
      Ingest::open(zmq_context, {running.ingest.mode, running.ingest.endpoint,
                                 running.ingest.max_message_bytes, running.ingest.high_water_mark});
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
           kv("metrics_port", (*metrics_server)->port()) + " " +
           kv("references", references.size()) + " " + kv("workers", running.pipeline.workers) +
           " " + kv("web_root", web_root.string()));
  auto monitor = std::make_unique<Monitor>(manager, metrics, service, volunteers);

  // The main thread is the signal thread from here on.
  for (;;) {
    int sig = wait_for_signal(std::chrono::milliseconds(500));
    if (sig == SIGHUP) reload(running, config_path, manager, router, settings, volunteers);
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
  http->reset();
  MetricsTotals t = metrics.totals();
  log_info("stopped " + kv("processed", t.processed) + " " + kv("rejected", t.rejected));
  return 0;
}

}  // namespace blink
