// A small blocking HTTP/1.0 client for blinkctl and tests: one request per
// connection to HOST:PORT, a bounded wait for the whole exchange, and errors
// as Status (kUnavailable when the daemon cannot be reached or does not
// answer in time). Not a general client: no TLS, redirects or chunking
// (blinkd answers HTTP/1.1 with Content-Length and Connection: close).
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "status.h"

namespace blink {

struct HttpReply {
  int status = 0;
  std::string body;
};

struct ClientRequest {
  std::string method = "GET";
  std::string path = "/";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// Sends `request` to `host_port` (HOST:PORT, HOST a name, IPv4 or [IPv6])
// and reads the reply; `timeout` bounds connecting and each wait for data.
// Any HTTP status is a reply; only transport failures are errors.
Result<HttpReply> http_call(const std::string& host_port, const ClientRequest& request,
                            std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace blink
