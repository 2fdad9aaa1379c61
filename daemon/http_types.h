// A request and a response as the API handlers see them: plain values, so
// handlers are tested without a server and civetweb stays in http_api.cc.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace blink {

struct HttpRequest {
  std::string method;         // "GET", "POST", "DELETE", ...
  std::string path;           // raw (still percent-encoded), without the query
  std::string query;          // without '?'
  std::string body;
  std::string authorization;  // the Authorization header, verbatim
  std::string remote_address;
};

struct HttpResponse {
  int code = 200;
  std::string content_type = "application/json";
  std::string body;
  std::string extra_headers;  // "Name: value\r\n" lines

  static HttpResponse json(int code, const nlohmann::ordered_json& body) {
    return {code, "application/json",
            body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n", ""};
  }
  static HttpResponse error(int code, const std::string& message) {
    nlohmann::ordered_json j;
    j["error"] = message;
    return json(code, j);
  }
};

// The bearer token of an "Authorization: Bearer <token>" header; empty when absent.
inline std::string bearer_token(const std::string& authorization) {
  const std::string prefix = "Bearer ";
  if (authorization.compare(0, prefix.size(), prefix) != 0) return "";
  return authorization.substr(prefix.size());
}

// Compares secrets in time independent of where they differ (equal lengths).
inline bool same_secret(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) diff |= a[i] ^ b[i];
  return diff == 0;
}

}  // namespace blink
