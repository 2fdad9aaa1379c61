// Accepting an exposure message (on the ingest thread): check its frames,
// size and envelope, refuse a duplicate id, then make it durable — FITS bytes
// fsync'd to spool/<id>.fits, then its row committed as `accepted` — and only
// then queue it. Whatever fails is rejected with a reason, never thrown.
#pragma once

#include <cstdint>
#include <functional>

#include "job.h"
#include "memory_budget.h"
#include "message.h"
#include "processor.h"

namespace blink {

// What happens to an exposure when there is no room for it (overload).
struct Admission {
  MemoryBudget* budget = nullptr;  // pipeline.max_memory_bytes; null: no bound
  // "sub" mode: drop (and count) an exposure that does not fit now, and count
  // gaps in the sender's "seq". Otherwise wait for room: producers are pushed back.
  bool shed = false;
  std::function<bool()> queue_full;  // used when shedding
};

// Borrows the service's context; hands accepted jobs to `submit`.
class Intake {
 public:
  // `submit` queues an accepted job (may block); false when the pool is closing.
  Intake(ServiceContext& context, int64_t max_message_bytes, std::function<bool(Job)> submit,
         Admission admission = {})
      : ctx_(context),
        max_message_bytes_(max_message_bytes),
        submit_(std::move(submit)),
        admission_(std::move(admission)) {}

  // Not thread-safe: one ingest thread calls it.
  void accept(RawMessage message);

 private:
  ServiceContext& ctx_;
  int64_t max_message_bytes_;
  std::function<bool(Job)> submit_;
  Admission admission_;
  uint64_t last_seq_ = 0;
  // Shedding is logged once per few seconds with the count since.
  uint64_t shed_unlogged_ = 0;
  double shed_logged_at_ = 0;
  void shed(std::string_view reason, const std::string& id, uint64_t count);
};

}  // namespace blink
