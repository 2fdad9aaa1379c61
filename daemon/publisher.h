// Where routed candidates go. CandidateSink is the interface the workers use
// (tests collect into memory); ZmqPublisher sends them on a bound PUB socket.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "curve_auth.h"
#include "curve_keys.h"
#include "status.h"

namespace blink {

// One message to publish: its topic and JSON body (without "seq"), or raw
// bytes (an Avro packet) sent as they are.
struct OutgoingMessage {
  std::string topic;
  nlohmann::ordered_json body;
  // When not empty, sent instead of `body` and without a "seq": the JSON
  // messages keep their own contiguous numbering.
  std::string bytes;
};

// What a sink's subscribers receive for each candidate and verdict: the JSON
// form only, or also the Avro packet (alerts.avro).
enum class AlertForms { kJson, kJsonAndAvro };

// Thread-safe. Numbers each message it sends with "seq" (1, 2, ... per
// process), so subscribers can count what a PUB socket dropped.
class CandidateSink {
 public:
  virtual ~CandidateSink() = default;
  // Sends the batch contiguously (one exposure's candidates).
  virtual Status publish(std::vector<OutgoingMessage> batch) = 0;
  // Which forms the publishers should hand this sink.
  virtual AlertForms forms() const { return AlertForms::kJson; }
};

// Owns a PUB socket; a mutex serialises the workers' sends on it (ZeroMQ
// sockets are not thread-safe). PUB never blocks: at alerts.high_water_mark
// per subscriber it drops, silently.
class ZmqPublisher final : public CandidateSink {
 public:
  static Result<std::unique_ptr<ZmqPublisher>> bind(zmq::context_t& context,
                                                    const std::string& endpoint,
                                                    int high_water_mark,
                                                    const CurveKeyPair* curve = nullptr,
                                                    CurveAuthenticator* auth = nullptr);
  ~ZmqPublisher() override;

  Status publish(std::vector<OutgoingMessage> batch) override;
  AlertForms forms() const override { return forms_.load(); }
  // JSON only until set (blinkd sets it from alerts.avro).
  void set_forms(AlertForms forms) { forms_.store(forms); }
  uint64_t sent() const { return seq_.load(); }
  // Closes the socket without lingering over unsent messages. Idempotent.
  void close();

 private:
  explicit ZmqPublisher(zmq::socket_t socket) : socket_(std::move(socket)) {}
  std::mutex mutex_;
  zmq::socket_t socket_;
  std::atomic<AlertForms> forms_{AlertForms::kJson};
  std::atomic<uint64_t> seq_{0};  // JSON messages only
};

}  // namespace blink
