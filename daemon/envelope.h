// The first frame of an exposure message: the JSON envelope of wire protocol
// v1 (docs/wire-protocol.md). Parsing checks every field, so the rest of the
// daemon can trust an Envelope: its names are safe to use in file names.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "rejection.h"
#include "status.h"

namespace blink {

inline constexpr std::string_view kExposureSchema = "blink.exposure/1";
inline constexpr size_t kMaxNameLength = 128;

enum class ExposureKind { kScience, kReference };
std::string_view exposure_kind_name(ExposureKind kind);
std::optional<ExposureKind> parse_exposure_kind(std::string_view name);

// A validated envelope.
struct Envelope {
  std::string exposure_id;
  ExposureKind kind = ExposureKind::kScience;
  std::string field;
  std::string band;
  int ccd = 0;
  double mjd_obs = 0;
  double exptime_s = 0;
  // Optional "seq": the sender numbers its messages 1, 2, ...; in "sub" mode a
  // gap counts exposures lost on the way (0: not numbered).
  uint64_t seq = 0;

  // The envelope as compact JSON (schema first), as it came in modulo key order.
  std::string to_json() const;
};

// True for `[A-Za-z0-9._:-]{1,128}` without a leading dot: such a name is
// one plain path component (no '/', not "." or "..").
bool is_safe_name(std::string_view name);

// The envelope in `text`, or why not: kUnknownSchema when it is a JSON object
// whose "schema" is not blink.exposure/1, kBadEnvelope for everything else.
// Unknown extra keys are ignored (forward compatibility within a schema).
struct EnvelopeParse {
  std::optional<Envelope> envelope;
  Rejection rejection;  // meaningful only when `envelope` is empty
};
EnvelopeParse parse_envelope(std::string_view text);

// A file-name-safe rendering of an untrusted id for quarantine names:
// unsafe characters become '_', at most 64 characters, "unnamed" if empty.
std::string sanitize_name(std::string_view untrusted);

}  // namespace blink
