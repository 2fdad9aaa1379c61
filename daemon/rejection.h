// Why an exposure was turned away. The reasons are a closed set because each
// is a metric label (blink_exposures_rejected_total{reason}); the message
// carries the detail for logs, the database and the quarantine.
#pragma once

#include <array>
#include <string>
#include <string_view>

namespace blink {

enum class RejectReason {
  kBadEnvelope,    // envelope frame is not the JSON object the protocol asks for
  kUnknownSchema,  // envelope names a schema other than blink.exposure/1
  kBadFrames,      // message does not have exactly two frames
  kOversized,      // message larger than ingest.max_message_bytes
  kBadFits,        // payload is not a readable FITS image within limits
  kBadWcs,         // image's WCS keywords cannot be used
  kBadPixels,      // most pixels NaN or infinite
  kNoReference,    // science exposure for a (field, band, ccd) without a reference
  kDuplicate,      // exposure_id already accepted
  kPipelineError,  // the detectors could not process it
};

inline constexpr std::array kAllRejectReasons = {
    RejectReason::kBadEnvelope,  RejectReason::kUnknownSchema, RejectReason::kBadFrames,
    RejectReason::kOversized,    RejectReason::kBadFits,       RejectReason::kBadWcs,
    RejectReason::kBadPixels,    RejectReason::kNoReference,   RejectReason::kDuplicate,
    RejectReason::kPipelineError};

constexpr std::string_view reject_reason_label(RejectReason r) {
  switch (r) {
    case RejectReason::kBadEnvelope:
      return "bad_envelope";
    case RejectReason::kUnknownSchema:
      return "unknown_schema";
    case RejectReason::kBadFrames:
      return "bad_frames";
    case RejectReason::kOversized:
      return "oversized";
    case RejectReason::kBadFits:
      return "bad_fits";
    case RejectReason::kBadWcs:
      return "bad_wcs";
    case RejectReason::kBadPixels:
      return "bad_pixels";
    case RejectReason::kNoReference:
      return "no_reference";
    case RejectReason::kDuplicate:
      return "duplicate";
    case RejectReason::kPipelineError:
      return "pipeline_error";
  }
  return "pipeline_error";
}

// A reason and the human-readable detail.
struct Rejection {
  RejectReason reason;
  std::string message;
};

}  // namespace blink
