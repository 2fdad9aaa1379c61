// http_call: the blocking client blinkctl uses, against a real HttpServer and
// against a listener that never answers.
#include <catch2/catch.hpp>

#include "http_api.h"
#include "http_client.h"
#include "test_support.h"

using namespace blink;
using namespace std::chrono_literals;

namespace {

class MinimalBackend final : public ApiBackend {
 public:
  std::string not_ready_reason() override { return ""; }
  nlohmann::ordered_json status() override { return {{"version", "test"}}; }
  Result<nlohmann::ordered_json> candidates(std::optional<Route>, int) override {
    return nlohmann::ordered_json::object();
  }
  Result<nlohmann::ordered_json> exposures(int) override {
    return nlohmann::ordered_json::object();
  }
};

}  // namespace

TEST_CASE("http client: returns the status and body of any answer", "[ops]") {
  MinimalBackend backend;
  auto server = HttpServer::start("127.0.0.1:0", {}, backend);
  REQUIRE(server);
  const std::string where = "127.0.0.1:" + std::to_string((*server)->port());
  auto ok = http_call(where, {"GET", "/healthz", {}, ""});
  REQUIRE(ok);
  CHECK(ok->status == 200);
  CHECK(ok->body == "ok\n");
  auto status = http_call(where, {"GET", "/api/v1/status", {}, ""});
  REQUIRE(status);
  CHECK(nlohmann::json::parse(status->body)["version"] == "test");
  auto missing = http_call(where, {"GET", "/api/v1/nothing", {}, ""});
  REQUIRE(missing);
  CHECK(missing->status == 404);
  // The default backend cannot reload; with a token set that is a 503 naming why.
  auto server2 = HttpServer::start("127.0.0.1:0", {}, backend, "t");
  REQUIRE(server2);
  auto reload = http_call("127.0.0.1:" + std::to_string((*server2)->port()),
                          {"POST", "/api/v1/reload", {{"Authorization", "Bearer t"}}, ""});
  REQUIRE(reload);
  CHECK(reload->status == 503);
  CHECK_THAT(reload->body, Catch::Contains("not supported"));
}

TEST_CASE("http client: a silent server is an unavailable error after the timeout", "[ops]") {
  // Listening, so the connection succeeds, but nobody ever answers.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::listen(fd, 4) == 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  const auto started = std::chrono::steady_clock::now();
  auto r = http_call("127.0.0.1:" + std::to_string(ntohs(a.sin_port)), {"GET", "/", {}, ""}, 200ms);
  const auto waited = std::chrono::steady_clock::now() - started;
  ::close(fd);
  REQUIRE_FALSE(r);
  CHECK(r.status().code() == Status::Code::kUnavailable);
  CHECK_THAT(r.status().message(), Catch::Contains("no answer within 200 ms"));
  CHECK(waited < 2s);
}

TEST_CASE("http client: refused connections and bad addresses are errors", "[ops]") {
  auto refused =
      http_call("127.0.0.1:" + std::to_string(testing::free_port()), {"GET", "/", {}, ""});
  REQUIRE_FALSE(refused);
  CHECK(refused.status().code() == Status::Code::kUnavailable);
  auto bad = http_call("no-port-here", {"GET", "/", {}, ""});
  REQUIRE_FALSE(bad);
  CHECK(bad.status().code() == Status::Code::kInvalidArgument);
}
