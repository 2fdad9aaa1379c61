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

#include "status.h"

namespace blink {

// One message to publish: its topic and JSON body (without "seq").
struct OutgoingMessage {
  std::string topic;
  nlohmann::ordered_json body;
};

// Thread-safe. Numbers each message it sends with "seq" (1, 2, ... per
// process), so subscribers can count what a PUB socket dropped.
class CandidateSink {
 public:
  virtual ~CandidateSink() = default;
  // Sends the batch contiguously (one exposure's candidates).
  virtual Status publish(std::vector<OutgoingMessage> batch) = 0;
};

// Owns a PUB socket; a mutex serialises the workers' sends on it (ZeroMQ
// sockets are not thread-safe). PUB never blocks: at alerts.high_water_mark
// per subscriber it drops, silently.
class ZmqPublisher final : public CandidateSink {
 public:
  static Result<std::unique_ptr<ZmqPublisher>> bind(zmq::context_t& context,
                                                    const std::string& endpoint,
                                                    int high_water_mark);
  ~ZmqPublisher() override;

  Status publish(std::vector<OutgoingMessage> batch) override;
  uint64_t sent() const { return seq_.load(); }
  // Closes the socket without lingering over unsent messages. Idempotent.
  void close();

 private:
  explicit ZmqPublisher(zmq::socket_t socket) : socket_(std::move(socket)) {}
  std::mutex mutex_;
  zmq::socket_t socket_;
  std::atomic<uint64_t> seq_{0};
};

}  // namespace blink
