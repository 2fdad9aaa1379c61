#include "intake.h"

#include <chrono>
#include <cstring>

#include "clock.h"
#include "log.h"

namespace blink {
namespace {

bool looks_like_fits(std::span<const uint8_t> bytes) {
  static constexpr char kSimple[] = "SIMPLE  =";
  return bytes.size() >= 9 && std::memcmp(bytes.data(), kSimple, 9) == 0;
}

}  // namespace

void Intake::accept(RawMessage message) {
  const double received = unix_now();
  const auto started = std::chrono::steady_clock::now();
  std::string_view raw_envelope =
      message.frames.empty() ? std::string_view() : message.frames[0]->text();
  std::span<const uint8_t> payload;
  if (message.frames.size() > 1) payload = message.frames[1]->bytes();

  EnvelopeParse parsed = parse_envelope(raw_envelope);
  const Envelope* envelope = parsed.envelope ? &*parsed.envelope : nullptr;
  ctx_.metrics.exposure_received(envelope ? std::optional(envelope->kind) : std::nullopt);

  if (admission_.shed && envelope && envelope->seq > 0) {
    if (last_seq_ > 0 && envelope->seq > last_seq_ + 1) {
      shed("sequence_gap", envelope->exposure_id, envelope->seq - last_seq_ - 1);
    } else if (envelope->seq <= last_seq_) {
      log_info("ingest: the sender's seq went back from " + std::to_string(last_seq_) + " to " +
               std::to_string(envelope->seq) + " (restarted?)");
    }
    last_seq_ = envelope->seq;
  }

  RejectedInput input{envelope, raw_envelope, payload, payload.size(), received, false};
  auto reject = [&](RejectReason reason, std::string text) {
    ctx_.rejecter.reject({reason, std::move(text)}, input);
  };

  // Whether this id was seen before decides whether a rejection may touch its row.
  std::optional<ExposureState> known;
  if (envelope) {
    auto state = ctx_.store.exposure_state(envelope->exposure_id);
    if (!state) {
      reject(RejectReason::kPipelineError,
             "cannot check for a duplicate: " + state.status().message());
      return;
    }
    known = *state;
    input.record = !known || *known == ExposureState::kRejected;
  }

  if (message.frame_count != 2) {
    reject(RejectReason::kBadFrames,
           "message has " + std::to_string(message.frame_count) +
               " frames; exactly 2 are required (JSON envelope, FITS bytes)");
    return;
  }
  if (int64_t(message.total_bytes) > max_message_bytes_) {
    input.payload = payload.first(std::min(payload.size(), kQuarantinedPrefixBytes));
    reject(RejectReason::kOversized, "message is " + std::to_string(message.total_bytes) +
                                         " bytes; ingest.max_message_bytes is " +
                                         std::to_string(max_message_bytes_));
    return;
  }
  if (!envelope) {
    ctx_.rejecter.reject(parsed.rejection, input);
    return;
  }
  const std::string& id = envelope->exposure_id;
  if (!input.record) {
    // The original keeps its row and its spool file; the quarantine keeps the
    // envelope and the first MiB (the payload is most likely the original's again).
    input.payload = payload.first(std::min(payload.size(), kQuarantinedPrefixBytes));
    reject(RejectReason::kDuplicate, "exposure_id " + id + " was received before (state " +
                                         std::string(exposure_state_name(*known)) + ")");
    return;
  }
  if (!looks_like_fits(payload)) {
    reject(RejectReason::kBadFits, "payload of " + std::to_string(payload.size()) +
                                       " bytes does not start with a FITS SIMPLE card");
    return;
  }
  // Overload: room in the queue and in the memory budget, or wait (pull) or drop (sub).
  if (admission_.shed && admission_.queue_full && admission_.queue_full()) {
    shed("queue_full", id, 1);
    return;
  }
  MemoryBudget::Lease memory;
  if (admission_.budget) {
    const int64_t need = exposure_memory_estimate(int64_t(payload.size()),
                                                  fits_declared_pixels(payload));
    if (admission_.shed) {
      memory = admission_.budget->try_reserve(need);
      if (!memory) {
        shed("memory", id, 1);
        return;
      }
    } else {
      const auto waiting = std::chrono::steady_clock::now();
      memory = admission_.budget->reserve(need);
      ctx_.metrics.ingest_waited(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - waiting).count());
    }
    ctx_.metrics.set_memory_reserved(admission_.budget->reserved(), admission_.budget->limit());
  }
  if (Status s = ctx_.spool.write_spooled(id, payload); !s) {
    reject(RejectReason::kPipelineError, "cannot spool the payload: " + s.message());
    return;
  }
  if (Status s = ctx_.store.admit(*envelope, received); !s) {
    ctx_.spool.remove_spooled(id);
    reject(RejectReason::kPipelineError, "cannot record the exposure: " + s.message());
    return;
  }
  ctx_.metrics.stage_duration(
      "accept", std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  log_debug("accepted " + kv("exposure", id) + " " +
            kv("kind", exposure_kind_name(envelope->kind)) + " " +
            kv("bytes", message.total_bytes));

  Job job;
  job.envelope = *envelope;
  job.payload = std::move(message.frames[1]);
  job.received_unix = received;
  job.memory = std::move(memory);
  const auto submitting = std::chrono::steady_clock::now();
  const bool queued = submit_(std::move(job));
  ctx_.metrics.ingest_waited(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - submitting).count());
  if (!queued) {
    log_info("accepted " + kv("exposure", id) +
             " while stopping; it will be processed after the next start");
  }
}

void Intake::shed(std::string_view reason, const std::string& id, uint64_t count) {
  ctx_.metrics.exposures_shed(reason, count);
  shed_unlogged_ += count;
  const double now = unix_now();
  if (now - shed_logged_at_ < 5) return;
  log_warning("overload: dropped " + kv("exposures", (long long)shed_unlogged_) +
              " since the last such line; the latest " + kv("exposure", id) + " " +
              kv("reason", reason) + " (ingest.mode sub drops rather than waits; see "
              "blink_exposures_shed_total)");
  shed_unlogged_ = 0;
  shed_logged_at_ = now;
}

}  // namespace blink
