// One accepted exposure on its way through the worker pool. Its payload is
// already durable in the spool; the job only carries it to a worker.
#pragma once

#include <cstdint>
#include <memory>

#include "envelope.h"
#include "memory_budget.h"
#include "message.h"
#include "reference_cache.h"

namespace blink {

// Owned by the queue, then by the worker that takes it.
struct Job {
  Envelope envelope;
  std::unique_ptr<Payload> payload;  // FITS bytes; null for a resumed job (read from the spool)
  double received_unix = 0;
  uint64_t seq = 0;      // queue order, for KeyOrder
  bool resumed = false;  // re-queued at start-up after a stop or crash
  MemoryBudget::Lease memory;  // returned when the job is destroyed (processed)

  ReferenceKey key() const { return {envelope.field, envelope.band, envelope.ccd}; }
};

}  // namespace blink
