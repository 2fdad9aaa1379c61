// blinkctl: the operator's view of a running blinkd over its HTTP API.
//   blinkctl [--http HOST:PORT] status | queue | exposures [--limit N]
//            | candidates [--route R] [--limit N]
//            | reload [--token-file FILE | env BLINK_OPERATOR_TOKEN] | reload --pid PID
// Exit codes: 0 ok; 1 the daemon is unreachable or answered with an error
// (the message says which); CLI11's own codes for a wrong command line.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "http_client.h"

namespace {

using nlohmann::json;

struct Options {
  std::string http = "127.0.0.1:8080";
  int timeout_ms = 5000;
};

int fail(const std::string& message) {
  std::cerr << "blinkctl: " << message << "\n";
  return 1;
}

// GETs `path` and parses the JSON; nullopt (after printing why) on any failure.
std::optional<json> get_json(const Options& o, const std::string& path) {
  auto reply =
      blink::http_call(o.http, {"GET", path, {}, ""}, std::chrono::milliseconds(o.timeout_ms));
  if (!reply) {
    fail("cannot reach blinkd at " + o.http + ": " + reply.status().message() +
         " (is it running? see --http)");
    return std::nullopt;
  }
  json j = json::parse(reply->body, nullptr, false);
  if (reply->status != 200) {
    std::string why = j.is_object() && j.contains("error") ? j["error"].get<std::string>()
                                                           : reply->body.substr(0, 200);
    fail("GET " + path + ": HTTP " + std::to_string(reply->status) + ": " + why);
    return std::nullopt;
  }
  if (j.is_discarded()) {
    fail("GET " + path + ": the answer is not JSON");
    return std::nullopt;
  }
  return j;
}

std::string text(const json& v, int precision = 3) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) {
    std::ostringstream s;
    s << std::fixed << std::setprecision(precision) << v.get<double>();
    return s.str();
  }
  return v.dump();
}

std::string duration(double seconds) {
  long s = long(seconds);
  std::ostringstream out;
  if (s >= 86400) out << s / 86400 << "d ";
  if (s >= 3600) out << (s % 86400) / 3600 << "h ";
  if (s >= 60) out << (s % 3600) / 60 << "m ";
  out << s % 60 << "s";
  return out.str();
}

// Prints rows as left-aligned columns.
void print_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], row[i].size());
    }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i)
      line += row[i] + (i + 1 < row.size() ? std::string(width[i] - row[i].size() + 2, ' ') : "");
    std::cout << line << "\n";
  }
}

int cmd_status(const Options& o) {
  auto s = get_json(o, "/api/v1/status");
  if (!s) return 1;
  const json& j = *s;
  std::cout << "blinkd " << text(j.value("version", json())) << " at " << o.http << ", up "
            << duration(j.value("uptime_s", 0.0)) << "\n";
  if (j.value("ready", false)) {
    std::cout << "ready\n";
  } else {
    std::cout << "NOT READY: " << text(j.value("not_ready_reason", json("unknown"))) << "\n";
  }
  const json& e = j["exposures"];
  std::cout << "exposures   received " << text(e["received"]) << ", processed "
            << text(e["processed"]) << ", rejected " << text(e["rejected"]) << "\n";
  std::cout << "queue       " << text(j["queue_depth"]) << " waiting, " << text(j["in_flight"])
            << " in flight\n";
  const json& c = j["candidates"];
  std::cout << "candidates  alert " << text(c["alert"]) << ", review " << text(c["review"])
            << ", rejected " << text(c["rejected"]) << "\n";
  const json& refs = j["references"];
  std::cout << "references  " << refs.size() << "\n";
  for (const json& r : refs)
    std::cout << "  " << text(r["field"]) << "/" << text(r["band"]) << "/ccd" << text(r["ccd"])
              << "  " << text(r["exposure_id"]) << "\n";
  return 0;
}

int cmd_queue(const Options& o) {
  auto s = get_json(o, "/api/v1/status");
  if (!s) return 1;
  std::cout << "queued     " << text((*s)["queue_depth"]) << "\n"
            << "in flight  " << text((*s)["in_flight"]) << "\n";
  if (!s->value("ready", false))
    std::cout << "not ready  " << text(s->value("not_ready_reason", json("unknown"))) << "\n";
  return 0;
}

int cmd_exposures(const Options& o, int limit) {
  auto s = get_json(o, "/api/v1/exposures?limit=" + std::to_string(limit));
  if (!s) return 1;
  std::vector<std::vector<std::string>> rows{
      {"EXPOSURE", "KIND", "FIELD", "STATE", "METHOD", "CANDIDATES", "NOISE", "ERROR"}};
  for (const json& e : (*s)["exposures"]) {
    std::string error = text(e["reject_reason"]);
    if (!e["error"].is_null()) error = (error == "-" ? "" : error + ": ") + text(e["error"]);
    rows.push_back({text(e["exposure_id"]), text(e["kind"]), text(e["field"]), text(e["state"]),
                    text(e["method"]), text(e["n_candidates"]), text(e["noise_ratio"], 2), error});
  }
  print_table(rows);
  return 0;
}

int cmd_candidates(const Options& o, const std::string& route, int limit) {
  std::string path = "/api/v1/candidates?limit=" + std::to_string(limit);
  if (!route.empty()) path += "&route=" + route;
  auto s = get_json(o, path);
  if (!s) return 1;
  std::vector<std::vector<std::string>> rows{
      {"CANDIDATE", "EXPOSURE", "ROUTE", "REAL/BOGUS", "SNR", "MAG", "RA", "DEC"}};
  for (const json& c : (*s)["candidates"])
    rows.push_back({text(c.value("candidate_id", json())), text(c.value("exposure_id", json())),
                    text(c.value("route", json())), text(c.value("real_bogus", json()), 2),
                    text(c.value("snr", json()), 1), text(c.value("mag", json()), 2),
                    text(c.value("ra", json()), 5), text(c.value("dec", json()), 5)});
  print_table(rows);
  return 0;
}

std::string read_token(const std::string& token_file) {
  std::string token;
  if (!token_file.empty()) {
    std::ifstream in(token_file);
    if (!in) return "";
    std::getline(in, token);
  } else if (const char* env = std::getenv("BLINK_OPERATOR_TOKEN")) {
    token = env;
  }
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  return token;
}

int cmd_reload(const Options& o, const std::string& token_file, int pid) {
  if (pid > 0) {
    if (::kill(pid, SIGHUP) != 0)
      return fail("cannot send SIGHUP to " + std::to_string(pid) + ": " + std::strerror(errno));
    std::cout << "SIGHUP sent to " << pid << "; blinkd logs what the reload applied\n";
    return 0;
  }
  std::string token = read_token(token_file);
  if (token.empty())
    return fail(token_file.empty()
                    ? "no operator token: use --token-file FILE or set BLINK_OPERATOR_TOKEN "
                      "(or --pid PID to send SIGHUP)"
                    : "cannot read a token from " + token_file);
  auto reply = blink::http_call(
      o.http, {"POST", "/api/v1/reload", {{"Authorization", "Bearer " + token}}, ""},
      std::chrono::milliseconds(o.timeout_ms));
  if (!reply) return fail("cannot reach blinkd at " + o.http + ": " + reply.status().message());
  if (reply->status != 202 && reply->status != 200) {
    json j = json::parse(reply->body, nullptr, false);
    std::string why = j.is_object() && j.contains("error") ? j["error"].get<std::string>()
                                                           : reply->body.substr(0, 200);
    return fail("reload refused: HTTP " + std::to_string(reply->status) + ": " + why);
  }
  std::cout << "reload requested; blinkd logs what it applied\n";
  return 0;
}

// Saves the night report page: the static HTML export (self-contained, plots inline).
int cmd_report(const Options& o, const std::string& night, const std::string& out) {
  std::string path = "/reports/night";
  if (!night.empty()) path += "?night=" + night;
  auto reply = blink::http_call(o.http, {"GET", path, {}, ""},
                                std::chrono::milliseconds(o.timeout_ms));
  if (!reply) return fail("cannot reach blinkd at " + o.http + ": " + reply.status().message());
  if (reply->status != 200) {
    json j = json::parse(reply->body, nullptr, false);
    std::string why = j.is_object() && j.contains("error") ? j["error"].get<std::string>()
                                                           : reply->body.substr(0, 200);
    return fail("night report refused: HTTP " + std::to_string(reply->status) + ": " + why);
  }
  if (out.empty() || out == "-") {
    std::cout << reply->body;
    return 0;
  }
  std::ofstream file(out, std::ios::binary);
  file << reply->body;
  if (!file.flush()) return fail("cannot write " + out);
  std::cout << "night report written to " << out << " (" << reply->body.size() << " bytes)\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "blinkctl: status, queue, recent exposures and candidates of a running blinkd; "
      "reload its configuration"};
  app.require_subcommand(1);
  Options o;
  app.add_option("--http", o.http, "blinkd's HTTP API (http.listen)")->capture_default_str();
  app.add_option("--timeout-ms", o.timeout_ms, "wait at most this long for an answer")
      ->capture_default_str()
      ->check(CLI::Range(1, 600000));
  app.add_flag_callback(
      "--version",
      [] {
        std::cout << "blinkctl " << BLINK_VERSION << "\n";
        std::exit(0);
      },
      "print the version and exit");

  auto* status = app.add_subcommand("status",
                                    "one screen: version, uptime, readiness, counts, "
                                    "queue, candidates by route, references");
  auto* queue = app.add_subcommand("queue", "exposures waiting and in flight");
  int exposures_limit = 20;
  auto* exposures = app.add_subcommand("exposures",
                                       "recent exposures: state, method, candidates, "
                                       "noise ratio, error");
  exposures->add_option("--limit", exposures_limit, "how many (1-500)")
      ->capture_default_str()
      ->check(CLI::Range(1, 500));
  int candidates_limit = 20;
  std::string route;
  auto* candidates = app.add_subcommand("candidates", "recent candidates, newest first");
  candidates->add_option("--route", route, "alert, review or rejected")
      ->check(CLI::IsMember({"alert", "review", "rejected"}));
  candidates->add_option("--limit", candidates_limit, "how many (1-500)")
      ->capture_default_str()
      ->check(CLI::Range(1, 500));
  std::string token_file;
  int pid = 0;
  auto* reload = app.add_subcommand(
      "reload",
      "re-read the configuration (as systemctl reload / SIGHUP): over HTTP with the "
      "operator token, or --pid to signal directly");
  auto* token_opt = reload->add_option("--token-file", token_file,
                                       "file holding http.operator_token (else env "
                                       "BLINK_OPERATOR_TOKEN)");
  reload->add_option("--pid", pid, "send SIGHUP to this process instead of using HTTP")
      ->check(CLI::PositiveNumber)
      ->excludes(token_opt);
  std::string night, report_out;
  auto* report = app.add_subcommand(
      "report", "save the night report (HTML with its plots) for a night, default the current one");
  report->add_option("--night", night, "YYYY-MM-DD (the 24 h from 12:00 UTC that day)");
  report->add_option("--out", report_out, "file to write; - or absent: standard output");
  CLI11_PARSE(app, argc, argv);

  if (*status) return cmd_status(o);
  if (*queue) return cmd_queue(o);
  if (*exposures) return cmd_exposures(o, exposures_limit);
  if (*candidates) return cmd_candidates(o, route, candidates_limit);
  if (*reload) return cmd_reload(o, token_file, pid);
  if (*report) return cmd_report(o, night, report_out);
  return 1;
}
