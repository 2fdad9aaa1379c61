#include "curve_auth.h"

#include <zmq.h>

#include <chrono>
#include <cstdio>
#include <cstring>

#include "curve_keys.h"
#include "log.h"

namespace blink {
namespace {

constexpr const char* kZapEndpoint = "inproc://zeromq.zap.01";
constexpr double kLogEverySeconds = 10;

double monotonic_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::set<std::string> raw_keys(const std::vector<std::string>& z85) {
  std::set<std::string> out;
  for (const auto& k : z85)
    if (auto raw = curve_key_bytes(k); !raw.empty()) out.insert(raw);
  return out;
}

AuthRefusal refusal_for(uint16_t event, uint32_t value) {
  if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) return AuthRefusal::kKeyNotAllowed;
  if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) {
    if (value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH) return AuthRefusal::kNoCurve;
    if (value == ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC) return AuthRefusal::kBadHandshake;
  }
  return AuthRefusal::kOther;
}

const char* explanation(AuthRefusal reason, bool server) {
  switch (reason) {
    case AuthRefusal::kNoCurve:
      return server ? "a client without CURVE was refused"
                    : "the peer does not speak CURVE (or we do and it does not)";
    case AuthRefusal::kBadHandshake:
      return server ? "a CURVE handshake failed (the client has the wrong server public key?)"
                    : "the CURVE handshake failed (wrong security.curve_camera_public_key?)";
    case AuthRefusal::kKeyNotAllowed:
      return server ? "a client key not on security.curve_allowed_clients was refused"
                    : "the peer refused our key (add our public key to its allow-list)";
    case AuthRefusal::kOther:
      break;
  }
  return "a handshake failed (the peer hung up or broke the protocol)";
}

}  // namespace

const char* auth_refusal_name(AuthRefusal reason) {
  switch (reason) {
    case AuthRefusal::kNoCurve:
      return "no_curve";
    case AuthRefusal::kBadHandshake:
      return "bad_handshake";
    case AuthRefusal::kKeyNotAllowed:
      return "key_not_allowed";
    case AuthRefusal::kOther:
      break;
  }
  return "other";
}

CurveAuthenticator::CurveAuthenticator(zmq::context_t& context, Refused refused)
    : context_(context), refused_(std::move(refused)), zap_(context, zmq::socket_type::rep) {}

Result<std::unique_ptr<CurveAuthenticator>> CurveAuthenticator::start(
    zmq::context_t& context, std::vector<std::string> allowed, Refused refused) {
  std::unique_ptr<CurveAuthenticator> auth(new CurveAuthenticator(context, std::move(refused)));
  try {
    auth->zap_.set(zmq::sockopt::linger, 0);
    auth->zap_.bind(kZapEndpoint);
  } catch (const zmq::error_t& e) {
    return Status::unavailable(std::string("cannot serve ZAP on ") + kZapEndpoint + ": " +
                               e.what());
  }
  auth->set_allowed(std::move(allowed));
  auth->thread_ = std::thread([a = auth.get()] { a->run(); });
  return auth;
}

CurveAuthenticator::~CurveAuthenticator() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

void CurveAuthenticator::set_allowed(std::vector<std::string> allowed) {
  auto keys = raw_keys(allowed);
  std::lock_guard lock(mutex_);
  allowed_ = std::move(keys);
}

size_t CurveAuthenticator::allowed_count() const {
  std::lock_guard lock(mutex_);
  return allowed_.size();
}

Status CurveAuthenticator::watch(zmq::socket_t& socket, const std::string& surface, bool server) {
  std::string address;
  {
    std::lock_guard lock(mutex_);
    address = "inproc://blink-auth-monitor-" + std::to_string(next_monitor_++);
  }
  const int events = ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                     ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;
  if (zmq_socket_monitor(socket.handle(), address.c_str(), events) != 0)
    return Status::internal("cannot monitor the " + surface +
                            " socket: " + zmq_strerror(zmq_errno()));
  auto watched = std::make_unique<Watched>();
  try {
    watched->pair = zmq::socket_t(context_, zmq::socket_type::pair);
    watched->pair.set(zmq::sockopt::linger, 0);
    watched->pair.connect(address);
  } catch (const zmq::error_t& e) {
    return Status::internal("cannot read the " + surface + " socket's monitor: " + e.what());
  }
  watched->surface = surface;
  watched->server = server;
  std::lock_guard lock(mutex_);
  watched_.push_back(std::move(watched));
  watched_changed_ = true;
  return Status::ok();
}

void CurveAuthenticator::run() {
  std::vector<Watched*> current;
  while (!stop_.load()) {
    {
      std::lock_guard lock(mutex_);
      if (watched_changed_) {
        current.clear();
        for (auto& w : watched_) current.push_back(w.get());
        watched_changed_ = false;
      }
    }
    std::vector<zmq::pollitem_t> items{{zap_.handle(), 0, ZMQ_POLLIN, 0}};
    for (Watched* w : current) items.push_back({w->pair.handle(), 0, ZMQ_POLLIN, 0});
    try {
      zmq::poll(items.data(), items.size(), std::chrono::milliseconds(200));
      if (items[0].revents & ZMQ_POLLIN) answer_zap();
      for (size_t i = 0; i < current.size(); ++i)
        if (items[i + 1].revents & ZMQ_POLLIN) read_event(*current[i]);
    } catch (const zmq::error_t& e) {
      if (e.num() == ETERM) return;
      log_error(std::string("auth: ") + e.what());
    }
  }
}

void CurveAuthenticator::answer_zap() {
  std::vector<zmq::message_t> request;
  for (bool more = true; more;) {
    zmq::message_t frame;
    if (!zap_.recv(frame, zmq::recv_flags::dontwait)) break;
    more = frame.more();
    request.push_back(std::move(frame));
  }
  // RFC 27: version, request_id, domain, address, identity, mechanism, credentials...
  std::string request_id = request.size() > 1 ? request[1].to_string() : "";
  std::string domain = request.size() > 2 ? request[2].to_string() : "";
  std::string address = request.size() > 3 ? request[3].to_string() : "";
  std::string mechanism = request.size() > 5 ? request[5].to_string() : "";
  bool allowed = false;
  std::string client;
  if (request.size() >= 7 && request[0].to_string() == "1.0" && mechanism == "CURVE" &&
      request[6].size() == 32) {
    std::string key(static_cast<const char*>(request[6].data()), 32);
    client = curve_key_z85(key.data(), key.size());
    std::lock_guard lock(mutex_);
    allowed = allowed_.empty() || allowed_.count(key) > 0;
  }
  if (!allowed)
    log_debug("auth: ZAP refused " + kv("surface", domain) + " " + kv("address", address) + " " +
              kv("mechanism", mechanism) + " " + kv("client_key", client));
  const char* code = allowed ? "200" : "400";
  const char* text = allowed ? "OK" : "client key not allowed";
  zap_.send(zmq::buffer(std::string("1.0")), zmq::send_flags::sndmore);
  zap_.send(zmq::buffer(request_id), zmq::send_flags::sndmore);
  zap_.send(zmq::buffer(code, 3), zmq::send_flags::sndmore);
  zap_.send(zmq::buffer(text, std::strlen(text)), zmq::send_flags::sndmore);
  zap_.send(zmq::buffer(client), zmq::send_flags::sndmore);  // user id: the key
  zap_.send(zmq::message_t(), zmq::send_flags::none);        // no metadata
}

void CurveAuthenticator::read_event(Watched& watched) {
  zmq::message_t head, address;
  if (!watched.pair.recv(head, zmq::recv_flags::dontwait)) return;
  if (head.more()) (void)watched.pair.recv(address, zmq::recv_flags::dontwait);
  if (head.size() < 6) return;
  uint16_t event;
  uint32_t value;
  std::memcpy(&event, head.data(), 2);
  std::memcpy(&value, static_cast<const char*>(head.data()) + 2, 4);
  char what[48];
  std::snprintf(what, sizeof what, " event=0x%x value=0x%x", unsigned(event), unsigned(value));
  count(watched.surface, refusal_for(event, value), watched.server, address.to_string() + what);
}

void CurveAuthenticator::count(const std::string& surface, AuthRefusal reason, bool server,
                               const std::string& detail) {
  if (server && refused_) refused_(surface, reason);
  const std::string key = surface + "/" + auth_refusal_name(reason);
  const double now = monotonic_seconds();
  uint64_t since = 0;
  {
    std::lock_guard lock(mutex_);
    LogState* state = nullptr;
    for (auto& [k, s] : log_)
      if (k == key) state = &s;
    if (!state) state = &log_.emplace_back(key, LogState{}).second;
    state->since += 1;
    if (now - state->last < kLogEverySeconds) return;
    state->last = now;
    since = state->since;
    state->since = 0;
  }
  log_warning(std::string("auth: ") + explanation(reason, server) + " " + kv("surface", surface) +
              " " + kv("reason", auth_refusal_name(reason)) + " " + kv("endpoint", detail) + " " +
              kv("count", (long long)since) + " (one line per 10 s)");
}

}  // namespace blink
