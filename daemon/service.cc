#include "service.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "clock.h"
#include "log.h"

namespace blink {

Service::Service(const ServiceDeps& deps, const ServiceOptions& options)
    : rejecter_(deps.store, deps.spool, deps.metrics),
      ctx_{deps, rejecter_, key_order_},
      options_(options),
      budget_(options.max_memory_bytes > 0 ? std::make_unique<MemoryBudget>(options.max_memory_bytes)
                                           : nullptr),
      processor_(ctx_),
      pool_(processor_, key_order_, deps.metrics, options.workers, options.queue_size),
      intake_(ctx_, options.max_message_bytes,
              [this](Job job) { return pool_.submit(std::move(job)); },
              Admission{budget_.get(), options.shed_when_full,
                        [this] { return pool_.queue_depth() >= options_.queue_size; }}) {}

Service::~Service() { drain_and_stop(); }

void Service::drain_and_stop() {
  pool_.drain_and_stop();
  if (Status s = ctx_.defects.save_all(); !s)
    log_warning("cannot save the bad-pixel models: " + s.message());
}

void Service::start_workers() { pool_.start(); }

Status Service::recover_and_load_references(const Progress& progress) {
  if (Status s = complete_reference_moves(); !s) return s;
  remove_orphan_spool_files();
  ctx_.defects.load_all();
  load_references(progress);
  return Status::ok();
}

Status Service::complete_reference_moves() {
  auto refs = ctx_.store.references();
  if (!refs) return refs.status();
  for (const ReferenceRow& r : *refs) {
    if (!std::filesystem::exists(ctx_.spool.spool_path(r.exposure_id))) continue;
    auto state = ctx_.store.exposure_state(r.exposure_id);
    if (!state) return state.status();
    if (*state != ExposureState::kDone) continue;
    if (Status s = ctx_.spool.move_spooled(r.exposure_id, r.path); !s) return s;
    log_info("completed the move of reference " + kv("exposure", r.exposure_id) + " to " +
             kv("path", r.path));
  }
  return Status::ok();
}

void Service::remove_orphan_spool_files() {
  for (const std::string& id : ctx_.spool.spooled_ids()) {
    auto state = ctx_.store.exposure_state(id);
    if (!state) continue;
    if (state->has_value() &&
        (**state == ExposureState::kAccepted || **state == ExposureState::kProcessing))
      continue;
    log_info("removing spool file no exposure waits for " + kv("exposure", id));
    ctx_.spool.remove_spooled(id);
  }
}

void Service::load_references(const Progress& progress) {
  auto refs = ctx_.store.references();
  if (!refs) {
    log_error("cannot list references: " + refs.status().message());
    return;
  }
  const ProcessingSettings settings = ctx_.settings.get();
  std::atomic<size_t> next{0}, loaded{0};
  auto load = [&] {
    for (size_t i; (i = next.fetch_add(1)) < refs->size();) {
      const ReferenceRow& r = (*refs)[i];
      auto t = std::chrono::steady_clock::now();
      auto bytes = ctx_.spool.read(r.path);
      Status status = bytes.status();
      if (bytes) {
        auto fits = decode_fits(bytes->data(), bytes->size(), settings.limits);
        status = fits.status();
        if (fits) {
          auto prepared = settings.pipeline->prepare_reference(*fits);
          status = prepared.status();
          if (prepared)
            ctx_.references.put({r.field, r.band, r.ccd}, std::move(prepared).value(),
                                r.exposure_id, unix_now());
        }
      }
      std::string where = kv("field", r.field) + " " + kv("band", r.band) + " " + kv("ccd", r.ccd) +
                          " " + kv("exposure", r.exposure_id);
      if (status) {
        double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
        log_info("reference loaded " + where + " " +
                 kv("ms", static_cast<long long>(std::lround(ms))));
      } else {
        log_error("reference not loaded " + where + " " + kv("message", status.message()));
      }
      size_t n = loaded.fetch_add(1) + 1;
      if (progress) progress(n, refs->size());
    }
  };
  const size_t n = std::min<size_t>(refs->size(), size_t(std::max(1, options_.workers)));
  std::vector<std::thread> threads;
  for (size_t i = 1; i < n; ++i) threads.emplace_back(load);
  load();
  for (auto& t : threads) t.join();
  ctx_.metrics.set_references(ctx_.references.size());
}

size_t Service::resume_unfinished() {
  auto rows = ctx_.store.unfinished_exposures();
  if (!rows) {
    log_error("cannot list unfinished exposures: " + rows.status().message());
    return 0;
  }
  size_t queued = 0;
  for (ExposureRow& row : *rows) {
    if (stopping_.load()) break;
    Job job;
    job.envelope = std::move(row.envelope);
    job.received_unix = row.received_unix;
    job.resumed = true;
    if (!pool_.submit(std::move(job))) break;
    ++queued;
  }
  if (queued) log_info("resumed " + kv("exposures", queued) + " left unfinished by the last run");
  return queued;
}

}  // namespace blink
