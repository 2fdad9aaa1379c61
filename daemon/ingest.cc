#include "ingest.h"

#include <chrono>
#include <limits>

#include "log.h"

namespace blink {
namespace {

class ZmqPayload final : public Payload {
 public:
  explicit ZmqPayload(zmq::message_t message) : message_(std::move(message)) {}
  std::span<const uint8_t> bytes() const override {
    return {static_cast<const uint8_t*>(message_.data()), message_.size()};
  }

 private:
  zmq::message_t message_;
};

}  // namespace

Result<std::unique_ptr<Ingest>> Ingest::open(zmq::context_t& context, const Options& options) {
  const bool pull = options.mode == IngestMode::kPull;
  try {
    zmq::socket_t socket(context, pull ? zmq::socket_type::pull : zmq::socket_type::sub);
    socket.set(zmq::sockopt::rcvhwm, options.high_water_mark);
    int64_t hard_limit = options.max_message_bytes > std::numeric_limits<int64_t>::max() / 2
                             ? std::numeric_limits<int64_t>::max()
                             : 2 * options.max_message_bytes;
    socket.set(zmq::sockopt::maxmsgsize, hard_limit);
    socket.set(zmq::sockopt::linger, 0);
    if (options.curve) {
      Status s = pull ? make_curve_server(socket, *options.curve, "ingest")
                      : make_curve_client(socket, *options.curve, options.camera_public_key);
      if (!s) return s.with_context("ingest socket");
    }
    if (options.auth) {
      if (Status s = options.auth->watch(socket, "ingest", pull); !s) return s;
    }
    if (pull) {
      socket.bind(options.endpoint);
    } else {
      socket.set(zmq::sockopt::subscribe, "");
      socket.connect(options.endpoint);
    }
    return std::unique_ptr<Ingest>(new Ingest(std::move(socket), options.mode, options.endpoint));
  } catch (const zmq::error_t& e) {
    return Status::unavailable(
        std::string("cannot ") +
        (pull ? "bind the ingest PULL socket on " : "connect the ingest SUB socket to ") +
        options.endpoint + ": " + e.what());
  }
}

Ingest::~Ingest() = default;

std::optional<RawMessage> Ingest::receive(std::chrono::milliseconds wait) {
  zmq::pollitem_t items[] = {{socket_.handle(), 0, ZMQ_POLLIN, 0}};
  zmq::poll(items, 1, wait);
  if (!(items[0].revents & ZMQ_POLLIN)) return std::nullopt;
  // A multipart message arrives whole: once the first frame is readable, so are the rest.
  RawMessage message;
  for (bool more = true; more;) {
    zmq::message_t frame;
    if (!socket_.recv(frame, zmq::recv_flags::dontwait)) break;
    more = frame.more();
    message.frame_count += 1;
    message.total_bytes += frame.size();
    if (message.frames.size() < 2)
      message.frames.push_back(std::make_unique<ZmqPayload>(std::move(frame)));
  }
  if (message.frame_count == 0) return std::nullopt;
  return message;
}

void Ingest::run(const std::function<void(RawMessage)>& handler) {
  auto hand_over = [&](RawMessage message) {
    try {
      handler(std::move(message));
    } catch (const std::exception& e) {
      log_error(std::string("ingest: a message could not be handled: ") + e.what());
    }
  };
  while (!stop_.load()) {
    try {
      if (auto message = receive(std::chrono::milliseconds(200))) hand_over(std::move(*message));
    } catch (const zmq::error_t& e) {
      if (e.num() == ETERM) return;
      log_error(std::string("ingest: receiving failed: ") + e.what());
    }
  }
  // Stop taking new messages, then hand over what ZeroMQ already holds for
  // us: closing would discard it, though the producers count it as sent.
  try {
    if (mode_ == IngestMode::kPull) {
      socket_.unbind(socket_.get(zmq::sockopt::last_endpoint));
    } else {
      socket_.disconnect(endpoint_);
    }
    size_t drained = 0;
    while (auto message = receive(std::chrono::milliseconds(100))) {
      hand_over(std::move(*message));
      ++drained;
    }
    if (drained)
      log_info("ingest: took " + kv("messages", drained) + " already received before closing");
  } catch (const zmq::error_t& e) {
    log_warning(std::string("ingest: while closing: ") + e.what());
  }
}

}  // namespace blink
