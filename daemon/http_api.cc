#include "http_api.h"

#include <civetweb.h>
#include <unistd.h>

#include <charconv>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>

#include "endpoint.h"
#include "http_query.h"
#include "log.h"
#include "server_stop.h"

#ifndef BLINK_SOURCE_WEB_DIR
#define BLINK_SOURCE_WEB_DIR ""
#endif

namespace blink {
namespace fs = std::filesystem;
namespace {

constexpr size_t kMaxStaticFileBytes = 16 << 20;

// Every response: the page loads nothing from elsewhere, runs no inline
// script, cannot be framed, and leaks no URL to other sites.
constexpr const char* kSecurityHeaders =
    "X-Content-Type-Options: nosniff\r\n"
    "Content-Security-Policy: default-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'\r\n"
    "X-Frame-Options: DENY\r\n"
    "Referrer-Policy: no-referrer\r\n";

void respond(mg_connection* conn, int code, std::string_view content_type, std::string_view body,
             bool head, std::string_view extra_headers = "") {
  // Responses are not cached unless the handler says otherwise.
  const bool cache_set = extra_headers.find("Cache-Control:") != std::string_view::npos;
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\n"
            "Content-Type: %.*s\r\n"
            "Content-Length: %zu\r\n"
            "%s"
            "%s"
            "Connection: close\r\n"
            "%.*s\r\n",
            code, mg_get_response_code_text(conn, code), int(content_type.size()),
            content_type.data(), body.size(), kSecurityHeaders,
            cache_set ? "" : "Cache-Control: no-store\r\n", int(extra_headers.size()),
            extra_headers.data());
  if (!head && !body.empty()) mg_write(conn, body.data(), body.size());
}

void respond_json(mg_connection* conn, int code, const nlohmann::ordered_json& j, bool head) {
  respond(conn, code, "application/json",
          j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n", head);
}

void respond_error(mg_connection* conn, int code, const std::string& message, bool head) {
  nlohmann::ordered_json j;
  j["error"] = message;
  respond_json(conn, code, j, head);
}

std::string_view content_type_for(const fs::path& path) {
  static const std::pair<const char*, const char*> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".htm", "text/html; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
      {".map", "application/json"},
      {".woff2", "font/woff2"},
      {".webp", "image/webp"},
  };
  std::string ext = path.extension().string();
  for (auto& [e, type] : kTypes)
    if (ext == e) return type;
  return "application/octet-stream";
}

// The query parameter `name` of this request: nullopt when absent.
std::optional<std::string> query_param(const mg_request_info* ri, const char* name) {
  if (!ri->query_string) return std::nullopt;
  return blink::query_param(std::string_view(ri->query_string), name);
}

std::optional<int> parse_limit(const std::optional<std::string>& text, int fallback) {
  return blink::parse_limit(text, fallback, kMaxApiLimit);
}

bool is_inside(const fs::path& root, const fs::path& p) {
  auto [r, q] = std::mismatch(root.begin(), root.end(), p.begin(), p.end());
  return r == root.end();
}

int log_civetweb(const mg_connection*, const char* message) {
  log_warning(std::string("http: ") + message);
  return 1;
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::start(const std::string& listen,
                                                      const fs::path& web_root, ApiBackend& backend,
                                                      std::string operator_token,
                                                      HttpSurface surface) {
  static std::once_flag init;
  std::call_once(init, [] { mg_init_library(0); });
  fs::path root;
  if (!web_root.empty()) {
    std::error_code ec;
    root = fs::canonical(web_root, ec);
    if (ec) root.clear();
  }
  std::unique_ptr<HttpServer> server(new HttpServer(backend, root));
  server->operator_token_ = std::move(operator_token);
  server->surface_ = surface;
  // 8 threads: requests are short, but a vote waits for its fsync and every
  // connection for its client; 8 keep two cores busy meanwhile (bench/api_load).
  // Keep-alive stays off: civetweb holds a thread per open connection.
  const char* options[] = {
      "listening_ports", listen.c_str(),      "num_threads", "8",    "request_timeout_ms",
      "10000",           "enable_keep_alive", "no",          nullptr};
  mg_callbacks callbacks{};
  callbacks.log_message = log_civetweb;
  // Every request goes to dispatch() from the first one accepted: a handler
  // set by mg_set_request_handler() after mg_start2() leaves a moment in which
  // civetweb answers its own 404 (seen by volunteers while blinkd restarts).
  callbacks.begin_request = [](mg_connection* conn) {
    return HttpServer::handle(conn, mg_get_user_data(mg_get_context(conn)));
  };
  mg_init_data init_data{&callbacks, server.get(), options};
  char error_text[256] = "";
  unsigned error_code = 0;
  mg_error_data error{&error_code, error_text, sizeof error_text};
  server->context_ = mg_start2(&init_data, &error);
  if (!server->context_) {
    return Status::unavailable(
        "cannot serve HTTP on " + listen + ": " +
        (error_text[0] ? std::string(error_text) : "civetweb failed to start"));
  }
  mg_server_port ports[4];
  int n = mg_get_server_ports(server->context_, 4, ports);
  server->port_ = n > 0 ? ports[0].port : 0;
  if (auto address = parse_listen_address(listen)) server->host_ = address->host;
  return server;
}

HttpServer::~HttpServer() {
  if (context_) stop_civetweb_promptly([this] { mg_stop(context_); }, host_, port_);
}

int HttpServer::handle(mg_connection* conn, void* self) {
  return static_cast<HttpServer*>(self)->dispatch(conn);
}

// Reads the request body, up to kMaxRequestBodyBytes; nullopt when larger.
static std::optional<std::string> read_body(mg_connection* conn, const mg_request_info* ri) {
  if (ri->content_length > (long long)kMaxRequestBodyBytes) return std::nullopt;
  std::string body;
  char buf[4096];
  for (;;) {
    int n = mg_read(conn, buf, sizeof buf);
    if (n <= 0) break;
    body.append(buf, size_t(n));
    if (body.size() > kMaxRequestBodyBytes) return std::nullopt;
  }
  return body;
}

int HttpServer::dispatch(mg_connection* conn) {
  const mg_request_info* ri = mg_get_request_info(conn);
  const std::string method = ri->request_method ? ri->request_method : "";
  const bool head = method == "HEAD";
  if (surface_ == HttpSurface::kPublic && ri->local_uri_raw &&
      is_operator_path(ri->local_uri_raw)) {
    // Not "forbidden": on this listener the endpoint does not exist.
    respond_error(conn, 404, "no such endpoint here (operator endpoints are on http.operator_listen)",
                  head);
    return 404;
  }
  {
    HttpRequest request;
    request.method = method;
    request.path = ri->local_uri_raw ? ri->local_uri_raw : (ri->local_uri ? ri->local_uri : "/");
    request.query = ri->query_string ? ri->query_string : "";
    if (const char* auth = mg_get_header(conn, "Authorization")) request.authorization = auth;
    request.remote_address = ri->remote_addr;
    if (method == "POST" || method == "PUT" || method == "DELETE" || method == "PATCH") {
      auto body = read_body(conn, ri);
      if (!body) {
        respond_error(conn, 413,
                      "request body larger than " + std::to_string(kMaxRequestBodyBytes) +
                          " bytes",
                      false);
        return 413;
      }
      request.body = std::move(*body);
    }
    try {
      if (auto response = backend_.handle(request)) {
        respond(conn, response->code, response->content_type, response->body, head,
                response->extra_headers);
        return response->code;
      }
    } catch (const std::exception& e) {
      respond_error(conn, 500, std::string("internal error: ") + e.what(), head);
      return 500;
    }
  }
  if (method == "POST" && ri->local_uri && std::string_view(ri->local_uri) == "/api/v1/reload") {
    try {
      return serve_operator(conn);
    } catch (const std::exception& e) {
      respond_error(conn, 500, std::string("internal error: ") + e.what(), false);
      return 500;
    }
  }
  if (method != "GET" && !head) {
    respond(conn, 405, "application/json", "{\"error\":\"only GET and HEAD are allowed\"}\n", false,
            "Allow: GET, HEAD\r\n");
    return 405;
  }
  const std::string uri =
      ri->local_uri_raw ? ri->local_uri_raw : (ri->local_uri ? ri->local_uri : "/");
  try {
    if (uri == "/healthz") {
      respond(conn, 200, "text/plain; charset=utf-8", "ok\n", head);
      return 200;
    }
    if (uri == "/readyz") {
      std::string reason = backend_.not_ready_reason();
      if (reason.empty()) {
        respond(conn, 200, "text/plain; charset=utf-8", "ready\n", head);
        return 200;
      }
      respond(conn, 503, "text/plain; charset=utf-8", "not ready: " + reason + "\n", head);
      return 503;
    }
    if (uri == "/api/v1/status") {
      respond_json(conn, 200, backend_.status(), head);
      return 200;
    }
    if (uri == "/api/v1/candidates") {
      std::optional<Route> route;
      if (auto r = query_param(ri, "route")) {
        route = parse_route(*r);
        if (!route) {
          respond_error(
              conn, 400,
              "route must be one of alert, review, rejected; got \"" + r->substr(0, 64) + "\"",
              head);
          return 400;
        }
      }
      auto limit = parse_limit(query_param(ri, "limit"), 50);
      if (!limit) {
        respond_error(conn, 400,
                      "limit must be a whole number from 1 (at most " +
                          std::to_string(kMaxApiLimit) + " are returned)",
                      head);
        return 400;
      }
      auto body = backend_.candidates(route, *limit);
      if (!body) {
        respond_error(conn, 500, body.status().message(), head);
        return 500;
      }
      respond_json(conn, 200, *body, head);
      return 200;
    }
    if (uri == "/api/v1/exposures") {
      auto limit = parse_limit(query_param(ri, "limit"), 20);
      if (!limit) {
        respond_error(conn, 400,
                      "limit must be a whole number from 1 (at most " +
                          std::to_string(kMaxApiLimit) + " are returned)",
                      head);
        return 400;
      }
      auto body = backend_.exposures(*limit);
      if (!body) {
        respond_error(conn, 500, body.status().message(), head);
        return 500;
      }
      respond_json(conn, 200, *body, head);
      return 200;
    }
    if (uri.rfind("/api/", 0) == 0) {
      respond_error(conn, 404, "no such API endpoint: " + uri.substr(0, 128), head);
      return 404;
    }
    return serve_file(conn, uri, head);
  } catch (const std::exception& e) {
    // A handler must not let an exception into civetweb's C code.
    respond_error(conn, 500, std::string("internal error: ") + e.what(), head);
    return 500;
  }
}

int HttpServer::serve_operator(mg_connection* conn) {
  if (operator_token_.empty()) {
    respond_error(conn, 403,
                  "operator endpoints are disabled: set http.operator_token in the configuration "
                  "and restart blinkd (or send SIGHUP: systemctl reload blinkd)",
                  false);
    return 403;
  }
  const char* auth = mg_get_header(conn, "Authorization");
  const std::string_view prefix = "Bearer ";
  std::string_view given = auth ? std::string_view(auth) : std::string_view();
  if (given.substr(0, prefix.size()) != prefix ||
      !same_secret(given.substr(prefix.size()), operator_token_)) {
    respond(conn, 401, "application/json",
            "{\"error\":\"operator endpoint: missing or wrong Authorization: Bearer token\"}\n",
            false, "WWW-Authenticate: Bearer\r\n");
    return 401;
  }
  if (Status s = backend_.request_reload(); !s) {
    respond_error(conn, 503, s.message(), false);
    return 503;
  }
  log_info("reload requested over HTTP");
  respond(conn, 202, "application/json", "{\"reload\":\"requested\"}\n", false);
  return 202;
}

int HttpServer::serve_file(mg_connection* conn, const std::string& uri, bool head) {
  if (uri.empty() || uri[0] != '/' || has_dot_dot_segment(uri) ||
      uri.find('\\') != std::string::npos || uri.find('\0') != std::string::npos) {
    respond_error(conn, 400, "bad path", head);
    return 400;
  }
  if (web_root_.empty()) {
    respond_error(conn, 404, "not found: " + uri.substr(0, 128) + " (no web root)", head);
    return 404;
  }
  std::string relative = uri.substr(1);
  if (relative.empty() || relative.back() == '/') relative += "index.html";
  std::error_code ec;
  fs::path path = fs::weakly_canonical(web_root_ / relative, ec);
  if (ec || !is_inside(web_root_, path) || !fs::is_regular_file(path, ec)) {
    respond_error(conn, 404, "not found: " + uri.substr(0, 128), head);
    return 404;
  }
  std::ifstream in(path, std::ios::binary);
  auto size = fs::file_size(path, ec);
  if (!in || ec || size > kMaxStaticFileBytes) {
    respond_error(conn, 404, "not found: " + uri.substr(0, 128), head);
    return 404;
  }
  std::string body(size, '\0');
  in.read(body.data(), std::streamsize(size));
  respond(conn, 200, content_type_for(path), body, head);
  return 200;
}

bool is_operator_path(std::string_view path) {
  // Normalise what civetweb would: the raw path may hold "//" or a trailing '/'.
  std::string p;
  for (char c : path)
    if (!(c == '/' && !p.empty() && p.back() == '/')) p += c;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  // Percent-encoded letters would reach the same handler only after decoding,
  // which the API does not do; still, refuse anything encoded under /api/v1/ here.
  if (p.rfind("/api/v1/", 0) == 0 && p.find('%') != std::string::npos) return true;
  return p == "/api/v1/reload" || p.rfind("/api/v1/export/", 0) == 0 || p == "/api/v1/export" ||
         p.rfind("/api/v1/volunteers/", 0) == 0;
}

fs::path resolve_web_root(const std::string& configured) {
  if (!configured.empty()) return configured;
  std::vector<fs::path> candidates;
  if (std::strlen(BLINK_SOURCE_WEB_DIR) > 0) candidates.emplace_back(BLINK_SOURCE_WEB_DIR);
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) candidates.push_back(exe.parent_path().parent_path() / "share" / "blink" / "web");
  candidates.emplace_back("/usr/share/blink/web");
  for (const fs::path& c : candidates)
    if (fs::is_regular_file(c / "index.html", ec)) return c;
  return {};
}

}  // namespace blink
