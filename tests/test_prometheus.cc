// The shipped Prometheus configuration against the real tools: promtool checks
// and unit-tests the alerting rules, lints the metrics text of a blinkd that
// has processed a short simulated night, and a real Prometheus server scrapes
// blinkd on loopback and answers queries about that night (and every query of
// the shipped Grafana dashboard).
#include <catch2/catch.hpp>
#include <cctype>
#include <cmath>
#include <nlohmann/json.hpp>
#include <regex>

#include "test_support.h"

using namespace blink::testing;
using namespace std::chrono_literals;

namespace {

// Debian package prometheus (tools/install-deps.sh).
const char* kPrometheus = "/usr/bin/prometheus";
const char* kPromtool = "/usr/bin/promtool";

const std::string kSource = BLINK_SOURCE_DIR;
const std::string kBinary = BLINK_BINARY_DIR;
const std::string kConfigDir = kSource + "/config/prometheus";

bool have(const char* tool) {
  if (std::filesystem::exists(tool)) return true;
  WARN(tool << " is not installed (Debian package prometheus); skipping");
  return false;
}

bool have_binaries() {
  for (const char* b : {"/daemon/blinkd", "/tools/blink-sim"}) {
    if (!std::filesystem::exists(kBinary + b)) {
      WARN(kBinary + b << " is not built; skipping");
      return false;
    }
  }
  return true;
}

// Runs argv to completion with stdout and stderr in `log`; the exit status.
int run(const std::vector<std::string>& argv, const std::filesystem::path& log) {
  Child child(argv, log.string());
  REQUIRE(child.pid() > 0);
  return child.wait(60s);
}

// A blinkd on free loopback ports with its state in `dir`, ready to ingest.
class Blinkd {
 public:
  explicit Blinkd(const std::filesystem::path& dir)
      : dir_(dir),
        ingest_(free_port()),
        metrics_(free_port()),
        http_(free_port()),
        daemon_(start(dir, ingest_, metrics_, http_)) {}

  // Waits for /readyz; false (with the log in the test's output) if it never comes.
  bool ready() {
    for (int i = 0; i < 300; ++i) {
      if (http_get(http_, "/readyz").status == 200) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }

  // Streams 1 field x `epochs` science exposures of 1024^2 pixels (plus the
  // reference) and waits until blinkd has processed them; false on time-out.
  bool stream_night(int epochs) {
    Child sim({kBinary + "/tools/blink-sim", "--seed", "7", "--fields", "1", "--epochs",
               std::to_string(epochs), "--size", "1024", "--endpoint",
               "tcp://127.0.0.1:" + std::to_string(ingest_), "--quiet"},
              (dir_ / "sim.log").string());
    if (sim.wait(60s) != 0) return false;
    auto deadline = std::chrono::steady_clock::now() + 90s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (metric_value(metrics_text(), "blink_exposures_processed_total", "science") >= epochs)
        return true;
      std::this_thread::sleep_for(200ms);
    }
    return false;
  }

  std::string metrics_text() const { return http_get(metrics_, "/metrics").body; }
  int metrics_port() const { return metrics_; }
  std::string log() const { return read_text(dir_ / "blinkd.log"); }

 private:
  static Child start(const std::filesystem::path& dir, int ingest, int metrics, int http) {
    const auto config = dir / "blink.toml";
    std::ofstream(config) << "[ingest]\nendpoint = \"tcp://127.0.0.1:" << ingest << "\"\n"
                          << "[alerts]\nendpoint = \"tcp://127.0.0.1:" << free_port() << "\"\n"
                          << "[http]\nlisten = \"127.0.0.1:" << http << "\"\n"
                          << "[metrics]\nlisten = \"127.0.0.1:" << metrics << "\"\n"
                          << "[state]\ndir = \"" << (dir / "state").string() << "\"\n";
    return Child({kBinary + "/daemon/blinkd", "--config", config.string()},
                 (dir / "blinkd.log").string());
  }

  std::filesystem::path dir_;
  int ingest_, metrics_, http_;
  Child daemon_;
};

// Replaces `from`, which must occur exactly once in `text`.
void replace_once(std::string& text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  INFO("looking for exactly one \"" << from << "\"");
  REQUIRE(at != std::string::npos);
  REQUIRE(text.find(from, at + 1) == std::string::npos);
  text.replace(at, from.size(), to);
}

std::string url_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += char(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// A Prometheus server on a free loopback port, scraping the blinkd on
// `blinkd_metrics_port` every second with the shipped prometheus.yml and
// blink-rules.yml (copied to `dir` with only the target and intervals changed).
class PrometheusServer {
 public:
  PrometheusServer(const std::filesystem::path& dir, int blinkd_metrics_port)
      : dir_(dir), port_(free_port()), server_(start(dir, port_, blinkd_metrics_port)) {}

  bool ready() {
    for (int i = 0; i < 300; ++i) {
      if (http_get(port_, "/-/ready").status == 200) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }

  // GET /api/v1/<path>; the parsed body (null when unreachable or not JSON).
  nlohmann::json api(const std::string& path) const {
    auto r = http_get(port_, "/api/v1/" + path);
    return nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  }

  // "success", "error", or "" when there was no JSON answer.
  static std::string status(const nlohmann::json& answer) {
    return answer.is_object() ? answer.value("status", "") : "";
  }

  // An instant query; the parsed body.
  nlohmann::json query(const std::string& promql) const {
    return api("query?query=" + url_encode(promql));
  }

  // The single value of an instant query that yields one sample, or NaN.
  double scalar(const std::string& promql) const {
    auto j = query(promql);
    if (status(j) != "success") return NAN;
    const auto& result = j["data"]["result"];
    if (!result.is_array() || result.size() != 1) return NAN;
    return std::stod(result[0]["value"][1].get<std::string>());
  }

  std::string log() const { return read_text(dir_ / "prometheus.log"); }

 private:
  static Child start(const std::filesystem::path& dir, int port, int target_port) {
    std::string config = read_text(kConfigDir + "/prometheus.yml");
    replace_once(config, "scrape_interval: 15s", "scrape_interval: 1s");
    replace_once(config, "evaluation_interval: 15s", "evaluation_interval: 1s");
    replace_once(config, "targets: [\"127.0.0.1:9464\"]",
                 "targets: [\"127.0.0.1:" + std::to_string(target_port) + "\"]");
    std::ofstream(dir / "prometheus.yml") << config;
    std::filesystem::copy_file(kConfigDir + "/blink-rules.yml", dir / "blink-rules.yml");
    return Child({kPrometheus, "--config.file=" + (dir / "prometheus.yml").string(),
                  "--storage.tsdb.path=" + (dir / "tsdb").string(),
                  "--web.listen-address=127.0.0.1:" + std::to_string(port), "--log.level=warn"},
                 (dir / "prometheus.log").string());
  }

  std::filesystem::path dir_;
  int port_;
  Child server_;
};

// Every PromQL expression in the shipped dashboard: the panels' targets and
// the templating variables' queries.
void collect_queries(const nlohmann::json& j, std::vector<std::string>& out) {
  if (j.is_object()) {
    for (const auto& [key, value] : j.items()) {
      if ((key == "expr" || key == "definition") && value.is_string()) {
        out.push_back(value.get<std::string>());
      } else {
        collect_queries(value, out);
      }
    }
  } else if (j.is_array()) {
    for (const auto& v : j) collect_queries(v, out);
  }
}

}  // namespace

TEST_CASE("prometheus: the shipped config and alerting rules pass promtool check", "[prometheus]") {
  if (!have(kPromtool)) return;
  TempDir tmp;
  const auto log = tmp.path() / "promtool.log";
  CHECK(run({kPromtool, "check", "rules", kConfigDir + "/blink-rules.yml"}, log) == 0);
  // check config also checks the rule files it names.
  CHECK(run({kPromtool, "check", "config", kConfigDir + "/prometheus.yml"}, log) == 0);
  INFO(read_text(log));
  CHECK(read_text(log).find("SUCCESS: 5 rules found") != std::string::npos);
}

TEST_CASE("prometheus: every alert fires and stays quiet as the rule unit tests expect",
          "[prometheus]") {
  if (!have(kPromtool)) return;
  TempDir tmp;
  const auto log = tmp.path() / "promtool.log";
  const std::string tests = read_text(kConfigDir + "/blink-rules.test.yml");
  // Each shipped alert has a test case (promtool does not insist on it).
  for (const char* alert : {"BlinkDaemonDown", "BlinkIngestStalled", "BlinkLatencyOverBudget",
                            "BlinkQueueGrowing", "BlinkRejectionSpike"}) {
    INFO(alert);
    CHECK(tests.find(std::string("alertname: ") + alert) != std::string::npos);
  }
  int rc = run({kPromtool, "test", "rules", kConfigDir + "/blink-rules.test.yml"}, log);
  INFO(read_text(log));
  CHECK(rc == 0);
}

TEST_CASE("prometheus: promtool check metrics finds no problem in blinkd's metrics after a night",
          "[prometheus]") {
  if (!have(kPromtool) || !have_binaries()) return;
  TempDir tmp;
  Blinkd blinkd(tmp.path());
  if (!blinkd.ready()) FAIL("blinkd never became ready:\n" << blinkd.log());
  if (!blinkd.stream_night(2)) FAIL("the night was not processed:\n" << blinkd.log());

  const auto scraped = tmp.path() / "metrics.txt";
  std::ofstream(scraped) << blinkd.metrics_text();
  const auto log = tmp.path() / "promtool.log";
  // promtool reads the metrics text on stdin: 0 clean, 3 lint problems, 1 unparsable.
  int rc = run({"/bin/sh", "-c",
                std::string("exec ") + kPromtool + " check metrics < '" + scraped.string() + "'"},
               log);
  INFO("promtool check metrics said:\n" << read_text(log));
  CHECK(rc == 0);
}

TEST_CASE("prometheus: a real Prometheus scrapes a simulated night from blinkd", "[prometheus]") {
  if (!have(kPrometheus) || !have_binaries()) return;
  TempDir tmp;
  std::filesystem::create_directories(tmp.path() / "blinkd");
  std::filesystem::create_directories(tmp.path() / "prometheus");
  Blinkd blinkd(tmp.path() / "blinkd");
  PrometheusServer prometheus(tmp.path() / "prometheus", blinkd.metrics_port());
  if (!blinkd.ready()) FAIL("blinkd never became ready:\n" << blinkd.log());
  if (!prometheus.ready()) FAIL("prometheus never became ready:\n" << prometheus.log());
  // Prometheus applies its targets some 5 s after start: stream the night only
  // once it watches blinkd, so that it sees the counters rise.
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (prometheus.scalar("up{job=\"blinkd\"}") != 1 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(250ms);
  {
    INFO("prometheus targets:\n" << prometheus.api("targets").dump());
    REQUIRE(prometheus.scalar("up{job=\"blinkd\"}") == 1);
  }
  REQUIRE(prometheus.scalar("blink_exposures_processed_total{kind=\"science\"}") == 0);
  if (!blinkd.stream_night(2)) FAIL("the night was not processed:\n" << blinkd.log());

  // Wait until Prometheus has scraped the processed night, then two more scrapes.
  const std::string processed = "blink_exposures_processed_total{kind=\"science\"}";
  deadline = std::chrono::steady_clock::now() + 30s;
  while (prometheus.scalar(processed) != 2 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(250ms);
  std::this_thread::sleep_for(2s);
  INFO("prometheus log:\n" << prometheus.log());
  INFO("prometheus targets:\n" << prometheus.api("targets").dump());

  CHECK(prometheus.scalar("up{job=\"blinkd\"}") == 1);
  CHECK(prometheus.scalar(processed) == 2);
  CHECK(prometheus.scalar("increase(" + processed + "[5m])") > 0);
  CHECK(prometheus.scalar("blink_exposures_processed_total{kind=\"reference\"}") == 1);
  CHECK(prometheus.scalar("sum(blink_candidates_total)") > 0);
  CHECK(prometheus.scalar("sum(blink_exposures_rejected_total)") == 0);
  CHECK(prometheus.scalar("blink_references") == 1);
  CHECK(prometheus.scalar("blink_queue_depth") == 0);
  CHECK(prometheus.scalar("count(blink_build_info == 1)") == 1);
  const double median = prometheus.scalar(
      "histogram_quantile(0.5, sum by (le) (blink_exposure_duration_seconds_bucket))");
  CHECK(std::isfinite(median));
  CHECK(median > 0);
  const double noise = prometheus.scalar("blink_difference_noise_ratio");
  CHECK(noise > 0.5);
  CHECK(noise < 2);

  // The series carry the job and instance the rules and dashboard select on.
  auto info = prometheus.query("blink_build_info");
  REQUIRE(PrometheusServer::status(info) == "success");
  REQUIRE(info["data"]["result"].size() == 1);
  CHECK(info["data"]["result"][0]["metric"]["job"] == "blinkd");
  CHECK(info["data"]["result"][0]["metric"]["instance"] ==
        "127.0.0.1:" + std::to_string(blinkd.metrics_port()));

  // The shipped rules loaded and evaluate without error against real series.
  auto rules = prometheus.api("rules");
  REQUIRE(PrometheusServer::status(rules) == "success");
  int alerting = 0;
  for (const auto& group : rules["data"]["groups"]) {
    for (const auto& rule : group["rules"]) {
      INFO(rule.value("name", "") << ": " << rule.value("lastError", ""));
      CHECK(rule.value("health", "") == "ok");
      alerting += rule.value("type", "") == "alerting";
    }
  }
  CHECK(alerting == 5);

  // A healthy night sets off no alert, not even a pending one. The latency
  // budget is left out: a test machine busy with other work may well miss it.
  auto alerts = prometheus.api("alerts");
  REQUIRE(PrometheusServer::status(alerts) == "success");
  for (const auto& alert : alerts["data"]["alerts"]) {
    if (alert["labels"].value("alertname", "") == "BlinkLatencyOverBudget") continue;
    FAIL_CHECK("unexpected alert: " << alert.dump());
  }

  // Every query of the shipped dashboard is valid PromQL that this server answers.
  auto dashboard =
      nlohmann::json::parse(read_text(kSource + "/config/grafana/blink-dashboard.json"));
  std::vector<std::string> queries;
  collect_queries(dashboard, queries);
  REQUIRE(queries.size() > 10);
  const std::vector<std::pair<std::regex, std::string>> grafana_variables = {
      {std::regex(R"(\$__rate_interval)"), "1m"},
      {std::regex(R"(\$__interval)"), "15s"},
      {std::regex(R"(\$__range)"), "1h"},
      {std::regex(R"(\$instance)"), ".+"}};
  for (auto q : queries) {
    // label_values(...) is Grafana's, not PromQL: ask for the series it names.
    std::smatch m;
    if (std::regex_match(q, m, std::regex(R"(label_values\((\w+),\s*\w+\))"))) q = m[1];
    for (const auto& [re, value] : grafana_variables) q = std::regex_replace(q, re, value);
    auto answer = prometheus.query(q);
    INFO(q << "\n-> " << (answer.is_discarded() ? "(no JSON)" : answer.dump()));
    CHECK(PrometheusServer::status(answer) == "success");
  }
}
