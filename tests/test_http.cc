// The HTTP API on a real civetweb server on loopback, with a fake backend.
#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>

#include "http_api.h"
#include "test_support.h"

using namespace blink;
using namespace blink::testing;

namespace {

class FakeBackend final : public ApiBackend {
 public:
  std::string not_ready_reason() override { return ready ? "" : "loading references"; }
  nlohmann::ordered_json status() override { return {{"version", "test"}, {"queue_depth", 2}}; }
  Result<nlohmann::ordered_json> candidates(std::optional<Route> route, int limit) override {
    last_route = route;
    last_limit = limit;
    return nlohmann::ordered_json{{"candidates", nlohmann::ordered_json::array()},
                                  {"limit", limit}};
  }
  Result<nlohmann::ordered_json> exposures(int limit) override {
    if (fail) return Status::io_error("database is gone");
    last_limit = limit;
    return nlohmann::ordered_json{{"exposures", nlohmann::ordered_json::array()}};
  }
  std::atomic<bool> ready{false};
  bool fail = false;
  std::optional<Route> last_route;
  int last_limit = 0;
};

struct Server {
  explicit Server(const std::filesystem::path& web_root = {}) {
    auto s = HttpServer::start("127.0.0.1:0", web_root, backend);
    INFO(s.status().message());
    REQUIRE(s);
    server = std::move(s).value();
    REQUIRE(server->port() > 0);
  }
  WireResponse get(const std::string& path) { return http_get(server->port(), path); }
  FakeBackend backend;
  std::unique_ptr<HttpServer> server;
};

bool has_header(const WireResponse& r, const std::string& header) {
  return r.headers.find(header) != std::string::npos;
}

}  // namespace

TEST_CASE("http: /healthz answers ok with nosniff") {
  Server s;
  WireResponse r = s.get("/healthz");
  CHECK(r.status == 200);
  CHECK(r.body == "ok\n");
  CHECK(has_header(r, "X-Content-Type-Options: nosniff"));
}

TEST_CASE("http: /readyz is 503 with the reason until ready") {
  Server s;
  WireResponse r = s.get("/readyz");
  CHECK(r.status == 503);
  CHECK_THAT(r.body, Catch::Contains("loading references"));
  s.backend.ready = true;
  CHECK(s.get("/readyz").status == 200);
}

TEST_CASE("http: an unknown path is a JSON 404") {
  Server s;
  for (const char* path : {"/nope", "/api/v1/nope", "/api/v2/status"}) {
    WireResponse r = s.get(path);
    INFO(path);
    CHECK(r.status == 404);
    CHECK(has_header(r, "Content-Type: application/json"));
    CHECK(has_header(r, "X-Content-Type-Options: nosniff"));
    CHECK(nlohmann::json::parse(r.body).contains("error"));
  }
}

TEST_CASE("http: bad query parameters are a JSON 400") {
  Server s;
  for (const char* path : {"/api/v1/candidates?route=maybe", "/api/v1/candidates?limit=abc",
                           "/api/v1/candidates?limit=0", "/api/v1/candidates?limit=-5",
                           "/api/v1/exposures?limit=1.5", "/api/v1/candidates?limit="}) {
    WireResponse r = s.get(path);
    INFO(path << " -> " << r.body);
    CHECK(r.status == 400);
    CHECK(has_header(r, "Content-Type: application/json"));
    CHECK(nlohmann::json::parse(r.body).at("error").get<std::string>().size() > 10);
  }
}

TEST_CASE("http: candidates pass route and limit through, limit capped at 500") {
  Server s;
  WireResponse r = s.get("/api/v1/candidates?route=review&limit=50");
  CHECK(r.status == 200);
  CHECK(s.backend.last_route == Route::kReview);
  CHECK(s.backend.last_limit == 50);
  CHECK(s.get("/api/v1/candidates?limit=100000").status == 200);
  CHECK(s.backend.last_limit == 500);
  CHECK(s.get("/api/v1/candidates").status == 200);
  CHECK_FALSE(s.backend.last_route);
  CHECK(s.backend.last_limit == 50);
  CHECK(s.get("/api/v1/exposures").status == 200);
  CHECK(s.backend.last_limit == 20);
}

TEST_CASE("http: status is JSON and a backend failure is a JSON 500") {
  Server s;
  WireResponse r = s.get("/api/v1/status");
  CHECK(r.status == 200);
  CHECK(nlohmann::json::parse(r.body).at("queue_depth") == 2);
  s.backend.fail = true;
  r = s.get("/api/v1/exposures");
  CHECK(r.status == 500);
  CHECK_THAT(r.body, Catch::Contains("database is gone"));
}

TEST_CASE("http: only GET and HEAD are allowed") {
  Server s;
  WireResponse r = http_request(s.server->port(), "POST", "/api/v1/status", "{}");
  CHECK(r.status == 405);
  WireResponse head = http_request(s.server->port(), "HEAD", "/healthz");
  CHECK(head.status == 200);
  CHECK(head.body.empty());
}

TEST_CASE(
    "http: static files come from the web root with their content types, and only from there") {
  TempDir tmp;
  const auto root = tmp.path() / "web";
  std::filesystem::create_directories(root / "img");
  std::ofstream(root / "index.html") << "<!doctype html><title>Blink</title>";
  std::ofstream(root / "style.css") << "body{}";
  std::ofstream(root / "app.js") << "console.log(1)";
  std::ofstream(root / "img" / "logo.svg") << "<svg/>";
  std::ofstream(tmp.path() / "secret.txt") << "secret";
  std::filesystem::create_symlink(tmp.path() / "secret.txt", root / "leak.txt");
  Server s(root);

  WireResponse index = s.get("/");
  CHECK(index.status == 200);
  CHECK(has_header(index, "Content-Type: text/html; charset=utf-8"));
  CHECK(has_header(index, "X-Content-Type-Options: nosniff"));
  CHECK_THAT(index.body, Catch::Contains("<title>Blink</title>"));
  CHECK(has_header(s.get("/style.css"), "Content-Type: text/css"));
  CHECK(has_header(s.get("/app.js"), "Content-Type: text/javascript"));
  CHECK(has_header(s.get("/img/logo.svg"), "Content-Type: image/svg+xml"));
  CHECK(s.get("/../secret.txt").status == 400);
  CHECK(s.get("/img/../../secret.txt").status == 400);
  CHECK(s.get("/%2e%2e/secret.txt").status == 400);
  CHECK(s.get("/leak.txt").status == 404);  // a symlink out of the root
  CHECK(s.get("/missing.html").status == 404);
}

TEST_CASE("http: a configured web root is used as it is") {
  CHECK(resolve_web_root("/srv/blink/web") == std::filesystem::path("/srv/blink/web"));
}

TEST_CASE("http: a taken port is a clear error") {
  FakeBackend backend;
  auto first = HttpServer::start("127.0.0.1:0", {}, backend);
  REQUIRE(first);
  auto second = HttpServer::start("127.0.0.1:" + std::to_string((*first)->port()), {}, backend);
  REQUIRE_FALSE(second);
  CHECK_THAT(second.status().message(), Catch::Contains("cannot serve HTTP"));
}
