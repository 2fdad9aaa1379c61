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
  if (!submit_(std::move(job))) {
    log_info("accepted " + kv("exposure", id) +
             " while stopping; it will be processed after the next start");
  }
}

}  // namespace blink
