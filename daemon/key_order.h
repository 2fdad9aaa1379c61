// Keeps reference and science exposures of one (field, band, ccd) in arrival
// order although parallel workers handle them. Jobs are numbered as they are
// queued (FIFO). A job for key K waits while a reference for K with a smaller
// number is still being prepared: a science exposure then uses the reference
// sent before it, and two references of K land in order. The reference it
// waits for was taken from the queue earlier by another worker, so the wait
// always ends. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>

#include "reference_cache.h"

namespace blink {

// In-flight references by key, with their queue numbers.
class KeyOrder {
 public:
  // Call when a reference job numbered `seq` is queued, before any later job.
  void reference_queued(const ReferenceKey& key, uint64_t seq);
  // Call when that reference job is finished, whatever its outcome.
  void reference_finished(const ReferenceKey& key, uint64_t seq);
  // Blocks until no reference for `key` numbered below `seq` is in flight.
  // Returns true if it had to wait.
  bool wait_turn(const ReferenceKey& key, uint64_t seq);

 private:
  bool blocked_locked(const ReferenceKey& key, uint64_t seq) const;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<ReferenceKey, std::set<uint64_t>> in_flight_;
};

}  // namespace blink
