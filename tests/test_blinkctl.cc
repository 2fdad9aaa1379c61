// blinkctl against a live blinkd, and the operator endpoint it uses.
#include <catch2/catch.hpp>

#include "daemon_fixture.h"
#include "http_client.h"

using namespace blink::testing;
using namespace std::chrono_literals;

namespace {

std::string blinkctl() { return std::string(BLINK_BINARY_DIR) + "/tools/blinkctl"; }

}  // namespace

TEST_CASE("blinkctl: status, queue and exposures after a simulated night", "[ops]") {
  DaemonFixture d;
  d.write_config();
  REQUIRE(d.start());
  REQUIRE(d.simulate(11, 1, 512) == 0);
  INFO(d.log());
  REQUIRE(d.wait_processed(2));
  const auto out = d.dir() / "blinkctl.out";

  REQUIRE(run_command({blinkctl(), "--http", d.http_address(), "status"}, out) == 0);
  std::string status = read_text(out);
  INFO(status);
  CHECK_THAT(status, Catch::Contains(std::string("blinkd ") + BLINK_VERSION));
  CHECK_THAT(status, Catch::Contains("\nready\n"));
  CHECK_THAT(status, Catch::Contains("received 2, processed 2, rejected 0"));
  CHECK_THAT(status, Catch::Contains("0 waiting, 0 in flight"));
  CHECK_THAT(status, Catch::Contains("candidates  alert "));
  CHECK_THAT(status, Catch::Contains("references  1"));
  CHECK_THAT(status, Catch::Contains("s11-"));

  REQUIRE(run_command({blinkctl(), "--http", d.http_address(), "queue"}, out) == 0);
  CHECK_THAT(read_text(out), Catch::Contains("queued     0"));

  REQUIRE(run_command({blinkctl(), "--http", d.http_address(), "exposures", "--limit", "5"}, out) ==
          0);
  std::string table = read_text(out);
  INFO(table);
  CHECK_THAT(table, Catch::StartsWith("EXPOSURE"));
  CHECK_THAT(table, Catch::Contains("NOISE"));
  // The header and one row per exposure: the reference and the science epoch.
  CHECK(std::count(table.begin(), table.end(), '\n') == 3);
  CHECK_THAT(table, Catch::Contains("s11-F0001"));
  CHECK_THAT(table, Catch::Contains("reference"));
  CHECK_THAT(table, Catch::Contains("science"));
  CHECK_THAT(table, Catch::Contains("done"));

  REQUIRE(run_command({blinkctl(), "--http", d.http_address(), "candidates", "--limit", "3"},
                      out) == 0);
  CHECK_THAT(read_text(out), Catch::StartsWith("CANDIDATE"));

  // The static export of tonight's report: the page with its plots, in one file.
  const auto page = d.dir() / "night.html";
  REQUIRE(run_command({blinkctl(), "--http", d.http_address(), "report", "--out", page.string()},
                      out) == 0);
  std::string html = read_text(page);
  CHECK_THAT(html, Catch::StartsWith("<!doctype html>"));
  CHECK_THAT(html, Catch::Contains("1 science, 1 reference; 2 done"));
  CHECK(std::count(html.begin(), html.end(), '<') > 100);
  CHECK_THAT(html, Catch::Contains("<svg"));
  CHECK(run_command({blinkctl(), "--http", d.http_address(), "report", "--night", "soon"}, out) ==
        1);

  d.daemon().signal(SIGTERM);
  CHECK(d.daemon().wait(30s) == 0);
}

TEST_CASE("blinkctl: an unreachable daemon is exit code 1 with a clear message", "[ops]") {
  TempDir tmp;
  const auto out = tmp.path() / "out";
  const int port = free_port();  // nothing listens here
  CHECK(run_command({blinkctl(), "--http", "127.0.0.1:" + std::to_string(port), "status"}, out) ==
        1);
  CHECK_THAT(read_text(out), Catch::Contains("cannot reach blinkd at 127.0.0.1:"));
}

TEST_CASE("blinkctl: reload over HTTP needs the operator token", "[ops]") {
  DaemonFixture d;
  d.write_config("", "operator_token = \"s3cret\"\n");
  REQUIRE(d.start());
  const auto out = d.dir() / "blinkctl.out";
  const auto token = d.dir() / "token";

  std::ofstream(token) << "wrong\n";
  CHECK(run_command(
            {blinkctl(), "--http", d.http_address(), "reload", "--token-file", token.string()},
            out) == 1);
  CHECK_THAT(read_text(out), Catch::Contains("HTTP 401"));

  std::ofstream(token) << "s3cret\n";
  REQUIRE(run_command(
              {blinkctl(), "--http", d.http_address(), "reload", "--token-file", token.string()},
              out) == 0);
  CHECK_THAT(read_text(out), Catch::Contains("reload requested"));
  bool reloaded = false;
  for (int i = 0; i < 100 && !reloaded; ++i) {
    reloaded = d.log().find("reload applied") != std::string::npos;
    if (!reloaded) std::this_thread::sleep_for(50ms);
  }
  INFO(d.log());
  CHECK(reloaded);
  CHECK_THAT(d.log(), Catch::Contains("reload requested over HTTP"));
  d.daemon().signal(SIGTERM);
  CHECK(d.daemon().wait(30s) == 0);
}

TEST_CASE("operator endpoints answer 403 with how to enable them when no token is set", "[ops]") {
  DaemonFixture d;
  d.write_config();
  REQUIRE(d.start());
  auto r = blink::http_call(d.http_address(), {"POST", "/api/v1/reload", {}, ""});
  REQUIRE(r);
  CHECK(r->status == 403);
  CHECK_THAT(r->body, Catch::Contains("http.operator_token"));
  // GET is not a way around it, and other paths still refuse POST.
  CHECK(http_get(d.http_port(), "/api/v1/reload").status == 404);
  CHECK(http_request(d.http_port(), "POST", "/api/v1/status", "{}").status == 405);
  d.daemon().signal(SIGTERM);
  CHECK(d.daemon().wait(30s) == 0);
}
