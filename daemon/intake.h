// Accepting an exposure message (on the ingest thread): check its frames,
// size and envelope, refuse a duplicate id, then make it durable — FITS bytes
// fsync'd to spool/<id>.fits, then its row committed as `accepted` — and only
// then queue it. Whatever fails is rejected with a reason, never thrown.
#pragma once

#include <cstdint>
#include <functional>

#include "job.h"
#include "message.h"
#include "processor.h"

namespace blink {

// Borrows the service's context; hands accepted jobs to `submit`.
class Intake {
 public:
  // `submit` queues an accepted job (may block); false when the pool is closing.
  Intake(ServiceContext& context, int64_t max_message_bytes, std::function<bool(Job)> submit)
      : ctx_(context), max_message_bytes_(max_message_bytes), submit_(std::move(submit)) {}

  // Not thread-safe: one ingest thread calls it.
  void accept(RawMessage message);

 private:
  ServiceContext& ctx_;
  int64_t max_message_bytes_;
  std::function<bool(Job)> submit_;
};

}  // namespace blink
