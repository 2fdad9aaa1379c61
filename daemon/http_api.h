// The HTTP side (civetweb): health and readiness for orchestration, a small
// JSON API for the volunteers' page and operators, and the page's static
// files. Every response carries X-Content-Type-Options: nosniff; errors are
// JSON {"error": "..."}.
//   GET /healthz                    200 "ok" while the process serves HTTP
//   GET /readyz                     200 "ready", or 503 with the reason
//   GET /api/v1/status              version, uptime, counts, queue, references
//   GET /api/v1/candidates?route=review&limit=50   newest first, limit <= 500
//   GET /api/v1/exposures?limit=20  newest first, limit <= 500
//   POST /api/v1/reload             operator: same reload as SIGHUP; 202 once requested.
//                                   Needs "Authorization: Bearer <http.operator_token>";
//                                   403 while no token is configured, 401 on a wrong one.
//   /api/v1/volunteers, next, classifications, me, cutouts/...   see volunteer_api.h
//   /reports/night, /api/v1/reports/night                           see report_api.h
//   GET /, /<file>                  files under the web root only
#pragma once

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "http_types.h"
#include "router.h"
#include "status.h"

struct mg_context;
struct mg_connection;

namespace blink {

inline constexpr int kMaxApiLimit = 500;

// Which endpoints a listener serves. With http.operator_listen set, the
// http.listen server is kPublic (operator endpoints answer 404 there) and the
// operator_listen one kOperator (everything, operator endpoints included).
enum class HttpSurface { kAll, kPublic, kOperator };

// Operator endpoints: POST /api/v1/reload and /api/v1/export/... (raw path).
bool is_operator_path(std::string_view path);
inline constexpr size_t kMaxRequestBodyBytes = 64 * 1024;


// What the API reads. Called from civetweb's threads, so implementations are
// thread-safe. The daemon implements it over its service and store; tests fake it.
class ApiBackend {
 public:
  virtual ~ApiBackend() = default;
  // Empty when ready; otherwise why not (for /readyz).
  virtual std::string not_ready_reason() = 0;
  virtual nlohmann::ordered_json status() = 0;
  virtual Result<nlohmann::ordered_json> candidates(std::optional<Route> route, int limit) = 0;
  virtual Result<nlohmann::ordered_json> exposures(int limit) = 0;
  // Asks for a configuration reload (as SIGHUP does); returns once requested.
  virtual Status request_reload() { return Status::unavailable("reload is not supported here"); }
  // Further handlers (the volunteers' API, the night report): the response
  // when one of them owns the request's path, else nullopt. Thread-safe.
  virtual std::optional<HttpResponse> handle(const HttpRequest& request) { return std::nullopt; }
};

// Owns the civetweb server; its threads call the backend. Stops (and waits
// for requests in progress) on destruction. The backend must outlive it.
class HttpServer {
 public:
  // Listens on `listen` (HOST:PORT; port 0 picks one). `web_root` may be
  // empty: then only the API is served. `operator_token` guards the operator
  // endpoints; empty refuses them.
  static Result<std::unique_ptr<HttpServer>> start(const std::string& listen,
                                                   const std::filesystem::path& web_root,
                                                   ApiBackend& backend,
                                                   std::string operator_token = "",
                                                   HttpSurface surface = HttpSurface::kAll);
  ~HttpServer();  // stops serving; waits for requests in progress
  int port() const { return port_; }

 private:
  HttpServer(ApiBackend& backend, std::filesystem::path web_root)
      : backend_(backend), web_root_(std::move(web_root)) {}
  static int handle(mg_connection* conn, void* self);
  int dispatch(mg_connection* conn);
  int serve_file(mg_connection* conn, const std::string& uri, bool head);
  // POST /api/v1/reload: checks the bearer token, then asks the backend.
  int serve_operator(mg_connection* conn);

  ApiBackend& backend_;
  std::filesystem::path web_root_;  // canonical, or empty
  std::string operator_token_;      // empty: operator endpoints refused
  HttpSurface surface_ = HttpSurface::kAll;
  mg_context* context_ = nullptr;
  std::string host_;
  int port_ = 0;
};

// The web root for `configured` (http.web_root): itself when set; otherwise
// the first folder with an index.html among the source tree's web/ (where
// blinkd was built), ../share/blink/web beside the executable, and
// /usr/share/blink/web. Empty when there is none.
std::filesystem::path resolve_web_root(const std::string& configured);

}  // namespace blink
