// The shipped Grafana dashboard (config/grafana/blink-dashboard.json): it is
// well formed, each of its queries names only series a live blinkd exports, and
// it shows every metric family blinkd exports.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "test_support.h"

using namespace blink::testing;
using namespace std::chrono_literals;

namespace {

using nlohmann::json;

const std::string kBinary = BLINK_BINARY_DIR;

json dashboard() {
  return json::parse(
      read_text(std::string(BLINK_SOURCE_DIR) + "/config/grafana/blink-dashboard.json"));
}

// Every panel, rows' nested panels included.
void collect_panels(const json& panels, std::vector<json>& out) {
  for (const auto& p : panels) {
    out.push_back(p);
    if (p.contains("panels")) collect_panels(p["panels"], out);
  }
}

// Every PromQL expression: the panels' targets and the templating variables' queries.
std::vector<std::string> queries(const json& d) {
  std::vector<std::string> out;
  std::vector<json> panels;
  collect_panels(d.at("panels"), panels);
  for (const auto& p : panels)
    for (const auto& t : p.value("targets", json::array())) out.push_back(t.at("expr"));
  for (const auto& v : d.at("templating").at("list"))
    if (v.value("type", "") == "query") out.push_back(v.at("definition"));
  return out;
}

// What a metrics text exposes: each sample's series name, each metric family
// (from # TYPE) and each label name of blink_ samples.
struct Exposition {
  std::set<std::string> series, families, labels;
};

Exposition parse_exposition(const std::string& text) {
  Exposition e;
  std::stringstream ss(text);
  std::string line;
  const std::regex type_line(R"(# TYPE (\w+) \w+)");
  const std::regex label(R"(([a-zA-Z_]\w*)=")");
  while (std::getline(ss, line)) {
    std::smatch m;
    if (std::regex_match(line, m, type_line)) {
      e.families.insert(m[1]);
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    const auto name = line.substr(0, line.find_first_of("{ "));
    e.series.insert(name);
    if (name.rfind("blink_", 0) != 0) continue;
    for (std::sregex_iterator it(line.begin(), line.end(), label), end; it != end; ++it)
      e.labels.insert((*it)[1]);
  }
  return e;
}

// The blink_ names an expression mentions.
std::set<std::string> metric_names(const std::string& expr) {
  static const std::regex name(R"(\bblink_\w+)");
  std::set<std::string> out;
  for (std::sregex_iterator it(expr.begin(), expr.end(), name), end; it != end; ++it)
    out.insert(it->str());
  return out;
}

// The labels an expression groups or matches by: by (...), without (...), on (...), ignoring (...).
std::set<std::string> grouping_labels(const std::string& expr) {
  static const std::regex clause(R"(\b(?:by|without|on|ignoring)\s*\(([^)]*)\))");
  static const std::regex label(R"([a-zA-Z_]\w*)");
  std::set<std::string> out;
  for (std::sregex_iterator it(expr.begin(), expr.end(), clause), end; it != end; ++it) {
    const std::string list = (*it)[1];
    for (std::sregex_iterator l(list.begin(), list.end(), label); l != end; ++l)
      out.insert(l->str());
  }
  return out;
}

// A histogram's family name for one of its series names (x_bucket, x_sum, x_count -> x).
std::string family_of(const std::string& series, const std::set<std::string>& families) {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    const std::string s = suffix;
    if (series.size() > s.size() && series.compare(series.size() - s.size(), s.size(), s) == 0) {
      auto base = series.substr(0, series.size() - s.size());
      if (families.count(base)) return base;
    }
  }
  return series;
}

// The metrics text of a freshly started blinkd on free loopback ports.
// Every series the dashboard uses exists before any exposure arrives (the
// histograms' unlabelled and pre-registered children are exported at zero).
std::string live_metrics_text(const std::filesystem::path& dir) {
  const int http = free_port(), metrics = free_port();
  const auto config = dir / "blink.toml";
  std::ofstream(config) << "[ingest]\nendpoint = \"tcp://127.0.0.1:" << free_port() << "\"\n"
                        << "[alerts]\nendpoint = \"tcp://127.0.0.1:" << free_port() << "\"\n"
                        << "[http]\nlisten = \"127.0.0.1:" << http << "\"\n"
                        << "[metrics]\nlisten = \"127.0.0.1:" << metrics << "\"\n"
                        << "[state]\ndir = \"" << (dir / "state").string() << "\"\n";
  Child daemon({kBinary + "/daemon/blinkd", "--config", config.string()},
               (dir / "blinkd.log").string());
  REQUIRE(daemon.pid() > 0);
  for (int i = 0; i < 300; ++i) {
    if (http_get(http, "/readyz").status == 200) return http_get(metrics, "/metrics").body;
    std::this_thread::sleep_for(100ms);
  }
  FAIL("blinkd never became ready:\n" << read_text(dir / "blinkd.log"));
  return "";
}

}  // namespace

TEST_CASE("dashboard: the JSON is a Grafana dashboard on the DS_PROMETHEUS data source",
          "[dashboard]") {
  const json d = dashboard();
  CHECK(d.at("schemaVersion").get<int>() >= 36);
  CHECK(!d.at("title").get<std::string>().empty());
  CHECK(!d.at("uid").get<std::string>().empty());

  bool has_ds_variable = false;
  for (const auto& v : d.at("templating").at("list"))
    if (v.value("name", "") == "DS_PROMETHEUS" && v.value("type", "") == "datasource" &&
        v.value("query", "") == "prometheus")
      has_ds_variable = true;
  CHECK(has_ds_variable);

  std::vector<json> panels;
  collect_panels(d.at("panels"), panels);
  std::set<int> ids;
  std::set<std::string> rows;
  for (const auto& p : panels) {
    INFO(p.value("title", "(untitled)"));
    CHECK(ids.insert(p.at("id").get<int>()).second);
    const auto& grid = p.at("gridPos");
    CHECK(grid.at("x").get<int>() + grid.at("w").get<int>() <= 24);
    if (p.at("type") == "row") {
      rows.insert(p.at("title").get<std::string>());
      continue;
    }
    CHECK(p.at("datasource").at("uid") == "${DS_PROMETHEUS}");
    REQUIRE(!p.value("targets", json::array()).empty());
    for (const auto& t : p.at("targets")) {
      CHECK(t.at("datasource").at("uid") == "${DS_PROMETHEUS}");
      CHECK(!t.at("expr").get<std::string>().empty());
    }
  }
  // The rows the operations issue asks for (volunteers: once the volunteer
  // service exports metrics, the coverage case below asks for their panels).
  for (const char* row :
       {"Throughput", "Latency", "Candidates and routes", "Queue and references"}) {
    INFO(row);
    CHECK(rows.count(row) == 1);
  }
}

TEST_CASE("dashboard: every query names series and labels a live blinkd exports", "[dashboard]") {
  if (!std::filesystem::exists(kBinary + "/daemon/blinkd")) {
    WARN("blinkd is not built; skipping the dashboard's metric check");
    return;
  }
  TempDir tmp;
  const auto exposed = parse_exposition(live_metrics_text(tmp.path()));
  REQUIRE(exposed.families.count("blink_build_info") == 1);

  int names = 0;
  for (const auto& expr : queries(dashboard())) {
    INFO(expr);
    for (const auto& name : metric_names(expr)) {
      INFO(name << " (family " << family_of(name, exposed.families) << ")");
      CHECK(exposed.series.count(name) == 1);
      ++names;
    }
    // job and instance are added by Prometheus at scrape time; le is the buckets'.
    for (const auto& label : grouping_labels(expr)) {
      if (label == "job" || label == "instance" || label == "le") continue;
      INFO("label " << label);
      CHECK(exposed.labels.count(label) == 1);
    }
  }
  CHECK(names > 20);
}

TEST_CASE("dashboard: every metric family blinkd exports is on the dashboard", "[dashboard]") {
  if (!std::filesystem::exists(kBinary + "/daemon/blinkd")) {
    WARN("blinkd is not built; skipping the dashboard's coverage check");
    return;
  }
  TempDir tmp;
  const auto exposed = parse_exposition(live_metrics_text(tmp.path()));
  std::set<std::string> shown;
  for (const auto& expr : queries(dashboard()))
    for (const auto& name : metric_names(expr)) shown.insert(family_of(name, exposed.families));
  for (const auto& family : exposed.families) {
    if (family.rfind("blink_", 0) != 0) continue;  // prometheus-cpp's own exposer_* metrics
    INFO("no dashboard panel shows " << family);
    CHECK(shown.count(family) == 1);
  }
}
