#include "http_client.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "endpoint.h"

namespace blink {
namespace {

constexpr size_t kMaxReplyBytes = 64 << 20;

// Owns a socket descriptor.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Waits for `events` on fd; false on timeout or error.
bool wait_for(int fd, short events, std::chrono::milliseconds timeout) {
  pollfd p{fd, events, 0};
  int r;
  do {
    r = ::poll(&p, 1, int(timeout.count()));
  } while (r < 0 && errno == EINTR);
  return r > 0;
}

Status connect_with_timeout(int fd, const addrinfo* ai, std::chrono::milliseconds timeout) {
  int flags = ::fcntl(fd, F_GETFL, 0);
  ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
    if (errno != EINPROGRESS) return Status::unavailable(std::strerror(errno));
    if (!wait_for(fd, POLLOUT, timeout)) return Status::unavailable("connection timed out");
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return Status::unavailable(std::strerror(err));
  }
  ::fcntl(fd, F_SETFL, flags);
  return Status::ok();
}

}  // namespace

Result<HttpReply> http_call(const std::string& host_port, const ClientRequest& request,
                            std::chrono::milliseconds timeout) {
  auto address = parse_listen_address(host_port);
  if (!address || address->port == 0)
    return Status::invalid("not HOST:PORT: \"" + host_port + "\"");
  const std::string where = "http://" + host_port;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(address->port);
  if (int rc = ::getaddrinfo(address->host.c_str(), port.c_str(), &hints, &found); rc != 0)
    return Status::unavailable("cannot resolve " + address->host + ": " + ::gai_strerror(rc));
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> guard(found, ::freeaddrinfo);

  Status last = Status::unavailable("no address");
  for (const addrinfo* ai = found; ai; ai = ai->ai_next) {
    Fd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
    if (fd.get() < 0) {
      last = Status::unavailable(std::strerror(errno));
      continue;
    }
    if (last = connect_with_timeout(fd.get(), ai, timeout); !last) continue;

    std::string text =
        request.method + " " + request.path + " HTTP/1.0\r\nHost: " + address->host + "\r\n";
    for (const auto& [name, value] : request.headers) text += name + ": " + value + "\r\n";
    if (!request.body.empty() || request.method == "POST")
      text += "Content-Length: " + std::to_string(request.body.size()) + "\r\n";
    text += "\r\n" + request.body;
    for (size_t sent = 0; sent < text.size();) {
      if (!wait_for(fd.get(), POLLOUT, timeout))
        return Status::unavailable(where + ": timed out sending the request");
      ssize_t n = ::send(fd.get(), text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Status::unavailable(where + ": " + std::strerror(errno));
      sent += size_t(n);
    }
    std::string reply;
    char buf[16384];
    for (;;) {
      if (!wait_for(fd.get(), POLLIN, timeout))
        return Status::unavailable(where + ": no answer within " + std::to_string(timeout.count()) +
                                   " ms");
      ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Status::unavailable(where + ": " + std::strerror(errno));
      if (n == 0) break;
      reply.append(buf, size_t(n));
      if (reply.size() > kMaxReplyBytes) return Status::corrupt(where + ": reply too large");
    }
    // "HTTP/1.x NNN reason\r\n headers \r\n\r\n body"
    if (reply.rfind("HTTP/1.", 0) != 0 || reply.size() < 12)
      return Status::corrupt(where + ": not an HTTP reply");
    HttpReply out;
    out.status = std::atoi(reply.c_str() + 9);
    size_t body_at = reply.find("\r\n\r\n");
    if (body_at != std::string::npos) out.body = reply.substr(body_at + 4);
    return out;
  }
  return Status::unavailable(where + ": " + last.message());
}

}  // namespace blink
