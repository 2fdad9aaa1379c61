// Syntax of the addresses in the configuration: ZeroMQ endpoints and the
// HOST:PORT listen addresses of the HTTP and metrics servers.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace blink {

// tcp://HOST:PORT (HOST a name, an IPv4 address, [IPv6] or *; PORT 1-65535)
// or ipc://PATH (PATH non-empty).
struct ZmqEndpoint {
  enum class Transport { kTcp, kIpc } transport;
  std::string host;  // tcp only
  int port = 0;      // tcp only
  std::string path;  // ipc only
};
std::optional<ZmqEndpoint> parse_zmq_endpoint(std::string_view text);

// HOST:PORT with HOST a name, an IPv4 address or [IPv6]; PORT 0-65535 (0: any free port).
struct ListenAddress {
  std::string host;  // without brackets
  int port = 0;
};
std::optional<ListenAddress> parse_listen_address(std::string_view text);

}  // namespace blink
