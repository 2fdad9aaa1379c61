// Keeps reference and science exposures of one (field, band, ccd) in arrival
// order although parallel workers handle them. Jobs are numbered as they are
// queued (FIFO). A job for key K waits while a reference for K with a smaller
// number is still being prepared: a science exposure then uses the reference
// sent before it, and two references of K land in order. The reference it
// waits for was taken from the queue earlier by another worker, so the wait
// always ends. Thread-safe.
//
// Science exposures of one (field, ccd), in any band, also take turns, but
// only for their last step: a detection is matched against the objects that
// earlier exposures stored, so those must be stored first. The subtraction
// itself still runs in parallel.
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

  // The same for science exposures of key.field and key.ccd (band ignored):
  // queued before any later job, finished whatever the outcome.
  void science_queued(const ReferenceKey& key, uint64_t seq);
  void science_finished(const ReferenceKey& key, uint64_t seq);
  // Blocks until no earlier science exposure of the field and ccd is in flight.
  bool wait_science_turn(const ReferenceKey& key, uint64_t seq);

 private:
  using Waiting = std::map<ReferenceKey, std::set<uint64_t>>;
  static ReferenceKey field_key(const ReferenceKey& key) { return {key.field, "", key.ccd}; }
  static void erase(Waiting& w, const ReferenceKey& key, uint64_t seq);
  static bool blocked(const Waiting& w, const ReferenceKey& key, uint64_t seq);
  std::mutex mutex_;
  std::condition_variable changed_;
  Waiting in_flight_;  // references
  Waiting science_;    // science, by field and ccd
};

}  // namespace blink
