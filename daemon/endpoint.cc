#include "endpoint.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace blink {
namespace {

std::optional<int> parse_port(std::string_view s, int lo) {
  if (s.empty() || s.size() > 5) return std::nullopt;
  int port = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), port);
  if (ec != std::errc() || end != s.data() + s.size() || port < lo || port > 65535)
    return std::nullopt;
  return port;
}

bool host_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
}

// Splits HOST:PORT; HOST may be [IPv6]. Returns the host without brackets.
std::optional<std::pair<std::string, std::string_view>> split_host_port(std::string_view text,
                                                                        bool allow_star) {
  std::string host;
  std::string_view rest;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return std::nullopt;
    host = std::string(text.substr(1, close - 1));
    if (host.empty() || !std::all_of(host.begin(), host.end(), [](char c) {
          return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
        }))
      return std::nullopt;
    rest = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = std::string(text.substr(0, colon));
    rest = text.substr(colon + 1);
    bool ok = !host.empty() &&
              (std::all_of(host.begin(), host.end(), host_char) || (allow_star && host == "*"));
    if (!ok) return std::nullopt;
  }
  return std::make_pair(host, rest);
}

}  // namespace

std::optional<ZmqEndpoint> parse_zmq_endpoint(std::string_view text) {
  if (text.rfind("ipc://", 0) == 0) {
    std::string path(text.substr(6));
    if (path.empty()) return std::nullopt;
    return ZmqEndpoint{ZmqEndpoint::Transport::kIpc, "", 0, path};
  }
  if (text.rfind("tcp://", 0) != 0) return std::nullopt;
  auto hp = split_host_port(text.substr(6), /*allow_star=*/true);
  if (!hp) return std::nullopt;
  auto port = parse_port(hp->second, 1);
  if (!port) return std::nullopt;
  return ZmqEndpoint{ZmqEndpoint::Transport::kTcp, hp->first, *port, ""};
}

std::optional<ListenAddress> parse_listen_address(std::string_view text) {
  auto hp = split_host_port(text, /*allow_star=*/false);
  if (!hp) return std::nullopt;
  auto port = parse_port(hp->second, 0);
  if (!port) return std::nullopt;
  return ListenAddress{hp->first, *port};
}

}  // namespace blink
