#include "worker_pool.h"

#include "log.h"

namespace blink {

WorkerPool::WorkerPool(ExposureProcessor& processor, KeyOrder& key_order, Metrics& metrics,
                       int workers, size_t queue_size)
    : processor_(processor),
      key_order_(key_order),
      metrics_(metrics),
      workers_(workers),
      queue_(queue_size) {}

WorkerPool::~WorkerPool() { drain_and_stop(); }

void WorkerPool::start() {
  for (int i = 0; i < workers_; ++i) threads_.emplace_back([this] { work(); });
}

bool WorkerPool::submit(Job job) {
  std::lock_guard lock(submit_mutex_);
  job.seq = next_seq_++;
  const bool reference = job.envelope.kind == ExposureKind::kReference;
  const ReferenceKey key = job.key();
  const uint64_t seq = job.seq;
  if (reference)
    key_order_.reference_queued(key, seq);
  else
    key_order_.science_queued(key, seq);
  if (!queue_.push(job)) {
    if (reference)
      key_order_.reference_finished(key, seq);
    else
      key_order_.science_finished(key, seq);
    return false;
  }
  metrics_.set_queue_depth(queue_.size());
  return true;
}

void WorkerPool::work() {
  while (auto job = queue_.pop()) {
    metrics_.set_queue_depth(queue_.size());
    processor_.process(std::move(*job));
  }
}

void WorkerPool::drain_and_stop() {
  std::call_once(stopped_, [this] {
    queue_.close();
    for (auto& t : threads_) t.join();
    threads_.clear();
    metrics_.set_queue_depth(0);
  });
}

size_t WorkerPool::abandon_queued() {
  queue_.close();  // first, so that no submit slips in behind
  auto dropped = queue_.take_all();
  for (const Job& job : dropped)
    if (job.envelope.kind == ExposureKind::kReference)
      key_order_.reference_finished(job.key(), job.seq);
    else
      key_order_.science_finished(job.key(), job.seq);
  metrics_.set_queue_depth(queue_.size());
  return dropped.size();
}

}  // namespace blink
