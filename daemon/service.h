// The daemon's work without its transports: raw messages in (from ingest),
// accepted durably, processed by a worker pool, candidates out through a
// CandidateSink; and the start-up recovery that makes a crash harmless.
// Service owns the rejecter, key ordering, processor, intake and pool; it
// borrows the rest (ServiceDeps), which must outlive it. Tests drive it with an in-memory sink and
// a temporary state folder.
#pragma once

#include <atomic>
#include <functional>
#include <memory>

#include "intake.h"
#include "key_order.h"
#include "message.h"
#include "processor.h"
#include "rejecter.h"
#include "worker_pool.h"

namespace blink {

// The settings a service is built with (a restart changes them, a reload does not).
struct ServiceOptions {
  int workers = 2;
  size_t queue_size = 4;
  int64_t max_message_bytes = 268435456;
  int64_t max_memory_bytes = 0;  // for exposures queued and in flight; 0: unbounded
  bool shed_when_full = false;   // "sub" mode: drop rather than wait (see Admission)
};

// accept() and resume_unfinished() belong to the ingest thread; the other
// methods may be called from any thread.
class Service {
 public:
  Service(const ServiceDeps& deps, const ServiceOptions& options);
  ~Service();

  // Start-up, before READY: finishes reference moves a crash interrupted,
  // deletes spool files no exposure waits for, loads the bad-pixel models, and
  // prepares every stored reference into the cache (one that cannot be read
  // is logged and skipped).
  // `progress(loaded, total)` is called (from loader threads) after each reference.
  using Progress = std::function<void(size_t loaded, size_t total)>;
  Status recover_and_load_references(const Progress& progress = {});
  void start_workers();
  // Queues the exposures a stop or crash left accepted or processing, oldest
  // first. Blocks while the queue is full: call it from the ingest thread
  // before it reads. Stops early after request_stop(). Returns how many.
  size_t resume_unfinished();
  // No more resuming: what is left stays accepted for the next start. Thread-safe.
  void request_stop() {
    stopping_.store(true);
    if (budget_) budget_->close();
  }
  // Ingest thread only.
  void accept(RawMessage message) { intake_.accept(std::move(message)); }

  // Finishes everything accepted and queued, joins the workers, saves what
  // was learned of the detectors' defects.
  void drain_and_stop();
  // Leaves the queued exposures for the next start; returns how many.
  size_t abandon_queued() { return pool_.abandon_queued(); }

  size_t queue_depth() const { return pool_.queue_depth(); }
  // The memory bound for exposures (set once the fixed memory is known), and what is reserved.
  void set_memory_limit(int64_t bytes) {
    if (budget_) budget_->set_limit(bytes);
  }
  int64_t memory_reserved() const { return budget_ ? budget_->reserved() : 0; }
  int64_t memory_limit() const { return budget_ ? budget_->limit() : 0; }
  size_t in_flight() const { return processor_.in_flight(); }
  uint64_t finished() const { return processor_.finished(); }

 private:
  Status complete_reference_moves();
  void remove_orphan_spool_files();
  void load_references(const Progress& progress);

  Rejecter rejecter_;
  KeyOrder key_order_;
  ServiceContext ctx_;
  const ServiceOptions options_;
  std::unique_ptr<MemoryBudget> budget_;  // before the pool: jobs hold leases on it
  ExposureProcessor processor_;
  WorkerPool pool_;
  Intake intake_;
  std::atomic<bool> stopping_{false};
};

}  // namespace blink
