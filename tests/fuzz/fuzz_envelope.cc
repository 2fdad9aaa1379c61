// libFuzzer: the envelope frame of an exposure message (daemon/envelope.h).
// Any bytes must give either a valid Envelope whose names are safe file-name
// components, or a rejection with a message; never a crash.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "envelope.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  blink::EnvelopeParse parsed = blink::parse_envelope(text);
  if (parsed.envelope) {
    const blink::Envelope& e = *parsed.envelope;
    if (!blink::is_safe_name(e.exposure_id) || !blink::is_safe_name(e.field) ||
        !blink::is_safe_name(e.band))
      std::abort();
    // What the daemon stores must parse back to the same envelope.
    blink::EnvelopeParse again = blink::parse_envelope(e.to_json());
    if (!again.envelope || again.envelope->exposure_id != e.exposure_id) std::abort();
  } else if (parsed.rejection.message.empty()) {
    std::abort();
  }
  std::string name = blink::sanitize_name(text);
  if (name.empty() || name.size() > 64) std::abort();
  return 0;
}
