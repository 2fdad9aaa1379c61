// Exposures in: one ZeroMQ socket — PULL bound (ingest.mode = "pull") or SUB
// connected to a camera's PUB ("sub") — read by one thread. Each message is
// handed whole to a handler; while the handler blocks (the work queue is
// full), nothing more is read, so ZeroMQ's high-water mark pushes back on
// PUSH producers (or drops, for SUB). Frames are kept without copying.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <zmq.hpp>

#include "config.h"
#include "curve_auth.h"
#include "curve_keys.h"
#include "message.h"
#include "status.h"

namespace blink {

// Owns its socket; run() on one thread, stop() from any.
class Ingest {
 public:
  struct Options {
    IngestMode mode = IngestMode::kPull;
    std::string endpoint;
    int64_t max_message_bytes = 0;  // ZeroMQ refuses single frames over twice this
    int high_water_mark = 4;
    // CURVE: blinkd's key pair (null: plain). "pull": a CURVE server whose
    // clients `auth` checks; "sub": a CURVE client of the camera's key.
    const CurveKeyPair* curve = nullptr;
    std::string camera_public_key;
    CurveAuthenticator* auth = nullptr;  // counts failed handshakes; may be null
  };

  // Creates the socket and binds (pull) or connects (sub). The socket may be
  // created on one thread and then used only by the thread that calls run().
  static Result<std::unique_ptr<Ingest>> open(zmq::context_t& context, const Options& options);
  ~Ingest();

  // Receives and hands over messages until stop(). Then unbinds (or
  // disconnects), hands over what ZeroMQ had already received, and returns.
  // Messages still in the network then are lost: PUSH/PULL has no
  // acknowledgement. Producers that must not lose any can resend; a repeated
  // exposure_id is recognised.
  void run(const std::function<void(RawMessage)>& handler);
  // Thread-safe; run() notices within its poll interval (200 ms).
  void stop() { stop_.store(true); }

 private:
  Ingest(zmq::socket_t socket, IngestMode mode, std::string endpoint)
      : socket_(std::move(socket)), mode_(mode), endpoint_(std::move(endpoint)) {}
  // The next whole message, or nullopt after `wait` without one.
  std::optional<RawMessage> receive(std::chrono::milliseconds wait);

  zmq::socket_t socket_;
  IngestMode mode_;
  std::string endpoint_;
  std::atomic<bool> stop_{false};
};

}  // namespace blink
