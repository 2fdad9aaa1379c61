#include "publisher.h"

namespace blink {

Result<std::unique_ptr<ZmqPublisher>> ZmqPublisher::bind(zmq::context_t& context,
                                                         const std::string& endpoint,
                                                         int high_water_mark,
                                                         const CurveKeyPair* curve,
                                                         CurveAuthenticator* auth) {
  try {
    zmq::socket_t socket(context, zmq::socket_type::pub);
    socket.set(zmq::sockopt::sndhwm, high_water_mark);
    socket.set(zmq::sockopt::linger, 0);
    if (curve) {
      if (Status s = make_curve_server(socket, *curve, "alerts"); !s)
        return s.with_context("alerts socket");
    }
    if (auth) {
      if (Status s = auth->watch(socket, "alerts"); !s) return s;
    }
    socket.bind(endpoint);
    return std::unique_ptr<ZmqPublisher>(new ZmqPublisher(std::move(socket)));
  } catch (const zmq::error_t& e) {
    return Status::unavailable("cannot bind the alerts PUB socket on " + endpoint + ": " +
                               e.what());
  }
}

ZmqPublisher::~ZmqPublisher() { close(); }

Status ZmqPublisher::publish(std::vector<OutgoingMessage> batch) {
  std::lock_guard lock(mutex_);
  if (!socket_) return Status::unavailable("alerts publisher is closed");
  try {
    for (OutgoingMessage& m : batch) {
      if (!m.bytes.empty()) {
        socket_.send(zmq::buffer(m.topic), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
        socket_.send(zmq::buffer(m.bytes), zmq::send_flags::dontwait);
        continue;
      }
      m.body["seq"] = seq_.load() + 1;
      std::string body = m.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      socket_.send(zmq::buffer(m.topic), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
      socket_.send(zmq::buffer(body), zmq::send_flags::dontwait);
      seq_.fetch_add(1);
    }
  } catch (const zmq::error_t& e) {
    return Status::io_error(std::string("publishing candidates: ") + e.what());
  }
  return Status::ok();
}

void ZmqPublisher::close() {
  std::lock_guard lock(mutex_);
  if (socket_) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.close();
  }
}

}  // namespace blink
