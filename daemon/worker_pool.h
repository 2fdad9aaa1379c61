// pipeline.workers threads taking accepted exposures from a bounded FIFO
// (pipeline.queue_size). submit() blocks while the queue is full: that stalls
// the ingest thread, and through ZeroMQ's high-water mark, the producers.
// Memory is bounded by queue_size + workers exposures.
#pragma once

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "bounded_queue.h"
#include "job.h"
#include "key_order.h"
#include "metrics.h"
#include "processor.h"

namespace blink {

// Owns the queue and the threads; borrows the processor, which does the work.
class WorkerPool {
 public:
  WorkerPool(ExposureProcessor& processor, KeyOrder& key_order, Metrics& metrics, int workers,
             size_t queue_size);
  ~WorkerPool();  // drains and joins if still running

  void start();
  // Numbers the job, registers a reference with KeyOrder and queues it.
  // Blocks while the queue is full. Returns false once the pool is closing
  // (the job stays accepted in the store and is resumed at the next start).
  // Call from one thread at a time (the ingest thread).
  bool submit(Job job);
  // Stops taking jobs, lets the workers finish everything queued, joins them.
  void drain_and_stop();
  // Closes the queue and drops the jobs still in it (they stay accepted in
  // the store); returns how many. Workers finish what they hold.
  size_t abandon_queued();

  size_t queue_depth() const { return queue_.size(); }

 private:
  void work();
  ExposureProcessor& processor_;
  KeyOrder& key_order_;
  Metrics& metrics_;
  const int workers_;
  BoundedQueue<Job> queue_;
  std::mutex submit_mutex_;
  uint64_t next_seq_ = 1;
  std::vector<std::thread> threads_;
  std::once_flag stopped_;
};

}  // namespace blink
