// Who may talk to blinkd's CURVE sockets. One thread serves ZeroMQ's ZAP
// (RFC 27) on inproc://zeromq.zap.01 of the daemon's context, allowing only
// client public keys on the allow-list, and watches each secured socket's
// monitor for failed handshakes: a client without CURVE, one that used the
// wrong server key, or one whose key ZAP refused. Every refusal is counted
// (`refused(surface, reason)`, the metric blink_auth_refused_total) and
// logged, at most one line per surface and reason every 10 s.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "status.h"

namespace blink {

// Why a handshake on a secured socket failed, as the metric's `reason` label.
enum class AuthRefusal {
  kNoCurve,        // the peer did not speak CURVE (mechanism mismatch)
  kBadHandshake,   // CURVE failed: most often the wrong server public key
  kKeyNotAllowed,  // ZAP refused the client's key
  kOther,          // any other handshake failure
};
const char* auth_refusal_name(AuthRefusal reason);

// Thread-safe. Must be destroyed before the context; the watched sockets
// must outlive it or be closed first (their monitors then just stop).
class CurveAuthenticator {
 public:
  using Refused = std::function<void(const std::string& surface, AuthRefusal reason)>;

  // Binds the ZAP socket in `context` and starts the thread. With an empty
  // allow-list every CURVE client that knows the server key is allowed.
  static Result<std::unique_ptr<CurveAuthenticator>> start(zmq::context_t& context,
                                                           std::vector<std::string> allowed,
                                                           Refused refused);
  ~CurveAuthenticator();

  // Replaces the allow-list (reload). Z85 keys.
  void set_allowed(std::vector<std::string> allowed);
  size_t allowed_count() const;

  // Starts counting failed handshakes on `socket` (call before it binds or
  // connects) as `surface`. `server`: refusals by us; otherwise failures to
  // authenticate with the peer (SUB to a camera), logged the same way.
  Status watch(zmq::socket_t& socket, const std::string& surface, bool server = true);

 private:
  struct Watched {
    zmq::socket_t pair;
    std::string surface;
    bool server;
  };
  CurveAuthenticator(zmq::context_t& context, Refused refused);
  void run();
  void answer_zap();
  void read_event(Watched& watched);
  void count(const std::string& surface, AuthRefusal reason, bool server, const std::string& detail);

  zmq::context_t& context_;
  Refused refused_;
  zmq::socket_t zap_;
  mutable std::mutex mutex_;  // guards allowed_, watched_, log_
  std::set<std::string> allowed_;  // raw 32-byte keys
  std::vector<std::unique_ptr<Watched>> watched_;
  bool watched_changed_ = false;
  struct LogState {
    double last = -1e9;
    uint64_t since = 0;
  };
  std::vector<std::pair<std::string, LogState>> log_;
  std::atomic<bool> stop_{false};
  int next_monitor_ = 0;
  std::thread thread_;
};

}  // namespace blink
