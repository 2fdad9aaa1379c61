// Configuration: defaults, every kind of error named by its key, the shipped
// file, and the command-line checks.
#include <toml++/toml.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <set>

#include "config.h"
#include "test_support.h"

using namespace blink;
using namespace blink::testing;

namespace {

std::string errors_of(std::string_view text) {
  auto r = parse_config(text, "test.toml");
  REQUIRE_FALSE(r);
  CHECK(r.status().code() == Status::Code::kInvalidArgument);
  return r.status().message();
}

std::string shipped_path() { return std::string(BLINK_SOURCE_DIR) + "/config/blink.toml"; }
std::string blinkd_path() { return std::string(BLINK_BINARY_DIR) + "/daemon/blinkd"; }

}  // namespace

TEST_CASE("config: an empty file gives the documented defaults") {
  auto r = parse_config("", "empty.toml");
  REQUIRE(r);
  const Config& c = *r;
  CHECK(c.ingest.mode == IngestMode::kPull);
  CHECK(c.ingest.endpoint == "tcp://127.0.0.1:5555");
  CHECK(c.ingest.max_message_bytes == 268435456);
  CHECK(c.ingest.high_water_mark == 4);
  CHECK(c.alerts.endpoint == "tcp://127.0.0.1:5556");
  CHECK(c.http.listen == "127.0.0.1:8080");
  CHECK(c.http.web_root.empty());
  CHECK(c.http.operator_token.empty());
  CHECK(c.http.ready_stall_seconds == 300);
  CHECK(c.metrics.listen == "127.0.0.1:9464");
  CHECK(c.state.dir == "./blink-state");
  CHECK(c.pipeline.workers == 2);
  CHECK(c.pipeline.queue_size == 4);
  CHECK(c.pipeline.threads_per_exposure == 0);
  CHECK(c.detection.threshold_sigma == 5.0);
  CHECK(c.detection.min_pixels == 3);
  CHECK(c.detection.max_candidates == 2000);
  CHECK(c.background.mesh_pixels == 64);
  CHECK(c.routing.alert_threshold == 0.8);
  CHECK(c.routing.archive_threshold == 0.2);
  CHECK(c.limits.max_image_pixels == int64_t(16384) * 16384);
  CHECK(c.log.level == LogLevel::kInfo);
}

TEST_CASE("config: the printed defaults parse back to the same configuration") {
  const std::string text = config_to_toml(Config{});
  auto r = parse_config(text, "printed.toml");
  INFO(text);
  REQUIRE(r);
  CHECK(config_to_toml(*r) == text);
}

TEST_CASE("config: values are read from each section") {
  auto r = parse_config(R"(
[ingest]
mode = "sub"
endpoint = "ipc:///run/blink/in"
[pipeline]
workers = 8
[routing]
alert_threshold = 1
archive_threshold = 0.5
[detection]
threshold_sigma = 4
[log]
level = "debug"
)",
                        "values.toml");
  INFO(r.status().message());
  REQUIRE(r);
  CHECK(r->ingest.mode == IngestMode::kSub);
  CHECK(r->ingest.endpoint == "ipc:///run/blink/in");
  CHECK(r->pipeline.workers == 8);
  CHECK(r->routing.alert_threshold == 1.0);  // an integer is a number too
  CHECK(r->detection.threshold_sigma == 4.0);
  CHECK(r->log.level == LogLevel::kDebug);
}

TEST_CASE("config: unknown key is named with the allowed keys") {
  std::string e = errors_of("[ingest]\nendpont = \"tcp://127.0.0.1:1\"\n");
  CHECK_THAT(e,
             Catch::Contains("unknown key 'ingest.endpont' (allowed in [ingest]: mode, endpoint, "
                             "max_message_bytes, high_water_mark)"));
  CHECK_THAT(e, Catch::StartsWith("test.toml:2: "));
}

TEST_CASE("config: unknown section is named with the allowed sections") {
  std::string e = errors_of("[ingestion]\nmode = \"pull\"\n");
  CHECK_THAT(e, Catch::Contains("unknown section [ingestion]"));
  CHECK_THAT(e, Catch::Contains("allowed sections: ingest, alerts, http"));
  CHECK_THAT(errors_of("workers = 3\n"), Catch::Contains("unknown key 'workers'"));
  CHECK_THAT(errors_of("ingest = 3\n"), Catch::Contains("ingest must be a table [ingest], got 3"));
}

TEST_CASE("config: a number of the wrong type or range names the key and the range") {
  CHECK_THAT(
      errors_of("[routing]\nalert_threshold = \"high\"\n"),
      Catch::Contains("routing.alert_threshold must be a number between 0 and 1, got \"high\""));
  CHECK_THAT(
      errors_of("[routing]\narchive_threshold = 1.5\n"),
      Catch::Contains("routing.archive_threshold must be a number between 0 and 1, got 1.5"));
  CHECK_THAT(errors_of("[photometry]\ndefault_gain = 0\n"),
             Catch::Contains("photometry.default_gain must be a number greater than 0"));
  CHECK_THAT(errors_of("[detection]\nthreshold_sigma = nan\n"),
             Catch::Contains("detection.threshold_sigma must be a number between 1 and 1000"));
}

TEST_CASE("config: an integer of the wrong type or range names the key and the range") {
  CHECK_THAT(errors_of("[pipeline]\nworkers = 0\n"),
             Catch::Contains("pipeline.workers must be an integer between 1 and 256, got 0"));
  CHECK_THAT(errors_of("[pipeline]\nqueue_size = 2.5\n"),
             Catch::Contains("pipeline.queue_size must be an integer between 1 and 4096, got 2.5"));
  CHECK_THAT(errors_of("[ingest]\nhigh_water_mark = \"4\"\n"),
             Catch::Contains(
                 "ingest.high_water_mark must be an integer between 1 and 1000000, got \"4\""));
}

TEST_CASE("config: a wrong choice lists the choices") {
  CHECK_THAT(errors_of("[ingest]\nmode = \"push\"\n"),
             Catch::Contains("ingest.mode must be one of \"pull\", \"sub\", got \"push\""));
  CHECK_THAT(
      errors_of("[log]\nlevel = \"verbose\"\n"),
      Catch::Contains(
          "log.level must be one of \"debug\", \"info\", \"warning\", \"error\", got \"verbose\""));
  CHECK_THAT(
      errors_of("[subtraction]\nmethod = \"hotpants\"\n"),
      Catch::Contains("subtraction.method must be one of \"auto\", \"zogy\", \"alard-lupton\""));
}

TEST_CASE("config: endpoints and listen addresses are checked") {
  CHECK_THAT(errors_of("[ingest]\nendpoint = \"udp://127.0.0.1:5555\"\n"),
             Catch::Contains(
                 "ingest.endpoint must be a ZeroMQ endpoint tcp://HOST:PORT or ipc://PATH, got "
                 "\"udp://127.0.0.1:5555\""));
  CHECK_THAT(errors_of("[alerts]\nendpoint = \"tcp://127.0.0.1:99999\"\n"),
             Catch::Contains("alerts.endpoint must be"));
  CHECK_THAT(errors_of("[alerts]\nendpoint = 5556\n"),
             Catch::Contains("alerts.endpoint must be a ZeroMQ endpoint"));
  CHECK_THAT(errors_of("[http]\nlisten = \"8080\"\n"),
             Catch::Contains("http.listen must be HOST:PORT"));
  CHECK_THAT(errors_of("[metrics]\nlisten = \"127.0.0.1:\"\n"),
             Catch::Contains("metrics.listen must be HOST:PORT"));
  CHECK_THAT(errors_of("[state]\ndir = \"\"\n"),
             Catch::Contains("state.dir must be a non-empty path"));
  auto ok = parse_config(R"(
[ingest]
endpoint = "tcp://*:5555"
[alerts]
endpoint = "tcp://[::1]:5556"
[http]
listen = "[::1]:0"
[metrics]
listen = "localhost:9464"
)",
                         "ok.toml");
  INFO(ok.status().message());
  CHECK(ok);
}

TEST_CASE("config: alert_threshold below archive_threshold is refused") {
  CHECK_THAT(
      errors_of("[routing]\nalert_threshold = 0.1\narchive_threshold = 0.2\n"),
      Catch::Contains("routing.alert_threshold (0.1) must be >= routing.archive_threshold (0.2)"));
  CHECK(parse_config("[routing]\nalert_threshold = 0.5\narchive_threshold = 0.5\n", "equal.toml"));
}

TEST_CASE("config: every error is reported, not just the first") {
  std::string e = errors_of(R"(
[ingest]
mode = "push"
bogus = 1
[pipeline]
workers = -1
[routing]
alert_threshold = "high"
)");
  CHECK(std::count(e.begin(), e.end(), '\n') == 3);  // four lines
  CHECK_THAT(e, Catch::Contains("ingest.mode"));
  CHECK_THAT(e, Catch::Contains("ingest.bogus"));
  CHECK_THAT(e, Catch::Contains("pipeline.workers"));
  CHECK_THAT(e, Catch::Contains("routing.alert_threshold"));
}

TEST_CASE("config: TOML syntax errors give the line and column") {
  CHECK_THAT(errors_of("[ingest]\nmode = pull\n"), Catch::StartsWith("test.toml:2:"));
  CHECK_THAT(errors_of("[ingest]\nmode = \"pull\"\nmode = \"sub\"\n"),
             Catch::Contains("not valid TOML"));
}

TEST_CASE("config: a missing file is an I/O error naming the file") {
  auto r = load_config_file("/nonexistent/blink.toml");
  REQUIRE_FALSE(r);
  CHECK(r.status().code() == Status::Code::kIOError);
  CHECK_THAT(r.status().message(), Catch::Contains("/nonexistent/blink.toml"));
}

TEST_CASE("config: the shipped config/blink.toml is valid") {
  auto r = load_config_file(shipped_path());
  INFO(r.status().message());
  REQUIRE(r);
  CHECK(r->state.dir == "/var/lib/blink");
}

TEST_CASE("config: every key the code accepts is documented in config/blink.toml") {
  auto table = toml::parse_file(shipped_path());
  std::ifstream in(shipped_path());
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  for (const ConfigKey& key : config_keys()) {
    INFO("key " << key.dotted());
    CHECK(table.at_path(key.dotted()).node() != nullptr);
    // The line before the key is its comment.
    bool commented = false;
    std::string section;
    for (size_t i = 1; i < lines.size(); ++i) {
      if (!lines[i].empty() && lines[i][0] == '[')
        section = lines[i].substr(1, lines[i].find(']') - 1);
      if (section == key.section && lines[i].rfind(key.name + " = ", 0) == 0)
        commented = lines[i - 1].rfind("# ", 0) == 0;
    }
    CHECK(commented);
  }
}

TEST_CASE("config: the shipped file differs from the embedded defaults only in state.dir") {
  auto r = load_config_file(shipped_path());
  REQUIRE(r);
  Config shipped = *r;
  shipped.state.dir = Config{}.state.dir;
  CHECK(config_to_toml(shipped) == config_to_toml(Config{}));
}

TEST_CASE("config: a reload takes the live keys and names those that need a restart") {
  Config running;
  Config loaded;
  loaded.routing.alert_threshold = 0.9;
  loaded.log.level = LogLevel::kDebug;
  loaded.detection.threshold_sigma = 6;
  loaded.ingest.endpoint = "tcp://127.0.0.1:6000";
  loaded.pipeline.workers = 5;
  auto ignored = changed_keys_needing_restart(running, loaded);
  CHECK(ignored == std::vector<std::string>{"ingest.endpoint", "pipeline.workers"});
  Config applied = with_reloaded_keys(running, loaded);
  CHECK(applied.routing.alert_threshold == 0.9);
  CHECK(applied.log.level == LogLevel::kDebug);
  CHECK(applied.detection.threshold_sigma == 6);
  CHECK(applied.ingest.endpoint == running.ingest.endpoint);
  CHECK(applied.pipeline.workers == running.pipeline.workers);
}

TEST_CASE("config: pipeline options follow the configuration") {
  Config c;
  c.detection.threshold_sigma = 7;
  c.subtraction.method = "zogy";
  c.pipeline.threads_per_exposure = 3;
  PipelineOptions o = pipeline_options(c);
  CHECK(o.detect_threshold == 7);
  CHECK(o.method == "zogy");
  CHECK(o.threads == 3);
}

TEST_CASE("config: blinkd --check-config passes the shipped file and names problems in a bad one") {
  if (!std::filesystem::exists(blinkd_path())) {
    WARN("blinkd not built at " << blinkd_path() << "; skipping the command-line check");
    return;
  }
  TempDir tmp;
  {
    Child ok({blinkd_path(), "--check-config", shipped_path()}, (tmp.path() / "ok.log").string());
    CHECK(ok.wait(std::chrono::seconds(10)) == 0);
  }
  const auto bad = tmp.path() / "bad.toml";
  std::ofstream(bad) << "[ingest]\nmode = \"push\"\n[routing]\nalert_threshold = \"high\"\n";
  Child check({blinkd_path(), "--check-config", bad.string()}, (tmp.path() / "bad.log").string());
  CHECK(check.wait(std::chrono::seconds(10)) != 0);
  std::string out = read_text(tmp.path() / "bad.log");
  CHECK_THAT(out, Catch::Contains("ingest.mode must be one of \"pull\", \"sub\", got \"push\""));
  CHECK_THAT(out, Catch::Contains(
                      "routing.alert_threshold must be a number between 0 and 1, got \"high\""));
}

TEST_CASE("config: blinkd --print-default-config prints what --check-config accepts") {
  if (!std::filesystem::exists(blinkd_path())) {
    WARN("blinkd not built at " << blinkd_path() << "; skipping the command-line check");
    return;
  }
  TempDir tmp;
  const auto printed = tmp.path() / "default.toml";
  Child print({blinkd_path(), "--print-default-config"}, printed.string());
  REQUIRE(print.wait(std::chrono::seconds(10)) == 0);
  CHECK(read_text(printed) == config_to_toml(Config{}));
}
