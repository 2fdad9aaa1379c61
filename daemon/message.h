// One received exposure message as the transport delivered it, before any
// of it is trusted. Frames are held through Payload so a ZeroMQ frame can be
// kept without copying its bytes.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

namespace blink {

// Bytes owned by whoever produced them. Immutable; may be read from any thread.
class Payload {
 public:
  virtual ~Payload() = default;
  virtual std::span<const uint8_t> bytes() const = 0;
  std::string_view text() const {
    auto b = bytes();
    return {reinterpret_cast<const char*>(b.data()), b.size()};
  }
};

std::unique_ptr<Payload> make_payload(std::vector<uint8_t> bytes);
std::unique_ptr<Payload> make_payload(std::string_view text);

// A whole message as received; owned by whoever holds it (ingest, then the intake).
struct RawMessage {
  std::vector<std::unique_ptr<Payload>> frames;  // the first two frames at most
  size_t frame_count = 0;                        // all frames, including ones not kept
  size_t total_bytes = 0;                        // of all frames
};

}  // namespace blink
