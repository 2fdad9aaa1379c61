// blink-listen: a small subscriber to blinkd's alerts socket. Prints one line
// per message as it arrives (or the whole body with --json), filtered by class,
// score and field.
//   blink-listen [--endpoint tcp://127.0.0.1:5556] [--avro] [--json]
//                [--topic alert|review|rejected|verdict]... [--class NAME]...
//                [--min-score X] [--field F]... [--count N] [--timeout S]
// Without --avro it subscribes to the JSON topics (candidate.*); with --avro
// to the Avro packets (avro.candidate.*), decoded with avro-c.
// Exit codes: 0 after --count messages, or at --timeout when no --count was
// given; 2 when --timeout came first with fewer than --count; 1 on errors.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "alert_avro.h"

namespace {

using Json = nlohmann::ordered_json;

struct Options {
  std::string endpoint = "tcp://127.0.0.1:5556";
  bool avro = false;
  bool json = false;
  std::vector<std::string> topics;   // alert, review, rejected, verdict
  std::vector<std::string> classes;  // any of
  std::optional<double> min_score;
  std::vector<std::string> fields;  // any of
  int count = 0;                    // 0: no limit
  double timeout_s = 0;             // 0: none
};

// What the line shows and the filters look at, from either form.
struct View {
  std::string id, field, band, route;
  double ra = NAN, dec = NAN, mag = NAN;
  std::optional<double> score;  // real_bogus; for verdicts, the posterior
  std::string best_class;       // empty when the message has no classes
  double best_p = NAN;
  double anomaly = NAN;
  std::string verdict;
  bool is_verdict = false;
};

double num(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : NAN;
}
std::string str(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

// The most probable class: "best" when the form names it, else the largest
// probability among the numeric members.
void read_classes(const Json& classes, View& v) {
  if (!classes.is_object()) return;
  if (classes.contains("best") && classes["best"].is_string()) {
    v.best_class = classes["best"].get<std::string>();
    v.best_p = num(classes, "best_probability");
    if (std::isnan(v.best_p)) v.best_p = num(classes, v.best_class.c_str());
    return;
  }
  for (const auto& [name, p] : classes.items())
    if (p.is_number() && (v.best_class.empty() || p.get<double>() > v.best_p)) {
      v.best_class = name;
      v.best_p = p.get<double>();
    }
}

View view_of(const std::string& topic, const Json& body) {
  View v;
  v.is_verdict = topic.ends_with(".verdict");
  // An Avro alert keeps the measurements in "candidate"; the JSON form is flat.
  const Json& c =
      body.contains("candidate") && body["candidate"].is_object() ? body["candidate"] : body;
  v.id = str(c, "candidate_id");
  v.field = str(c, "field");
  v.band = str(c, "band");
  v.route = str(c, "route");
  v.ra = num(c, "ra");
  v.dec = num(c, "dec");
  v.mag = num(c, "mag");
  double score = num(c, v.is_verdict ? "posterior" : "real_bogus");
  if (!std::isnan(score)) v.score = score;
  if (c.contains("classes")) read_classes(c["classes"], v);
  v.anomaly = num(c, "anomaly");
  v.verdict = str(c, "verdict");
  return v;
}

bool wanted(const Options& o, const View& v) {
  if (!o.fields.empty() && std::find(o.fields.begin(), o.fields.end(), v.field) == o.fields.end())
    return false;
  if (!o.classes.empty() &&
      std::find(o.classes.begin(), o.classes.end(), v.best_class) == o.classes.end())
    return false;
  if (o.min_score && (!v.score || *v.score < *o.min_score)) return false;
  return true;
}

std::string fixed(double v, int decimals) {
  if (std::isnan(v)) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string utc_now() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  int ms = int(
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + std::strlen(buf), sizeof buf - std::strlen(buf), ".%03dZ", ms);
  return buf;
}

std::string line_of(const std::string& topic, const View& v) {
  std::string s = utc_now() + " " + topic + " " + v.id + " " + v.field + " " + v.band +
                  " ra=" + fixed(v.ra, 5) + " dec=" + fixed(v.dec, 5) + " mag=" + fixed(v.mag, 2);
  if (v.is_verdict) {
    return s + " posterior=" + (v.score ? fixed(*v.score, 3) : "-") +
           " verdict=" + (v.verdict.empty() ? "-" : v.verdict);
  }
  s += " rb=" + (v.score ? fixed(*v.score, 3) : "-");
  s += " class=" + (v.best_class.empty() ? "-" : v.best_class + ":" + fixed(v.best_p, 2));
  s += " anomaly=" + fixed(v.anomaly, 2);
  return s + " route=" + (v.route.empty() ? "-" : v.route);
}

// Bytes (the FITS cutouts) shown by size: a terminal is no place for them.
void shorten_bytes(Json& j) {
  if (j.is_binary()) {
    j = "<" + std::to_string(j.get_binary().size()) + " bytes>";
  } else if (j.is_structured()) {
    for (auto& child : j) shorten_bytes(child);
  }
}

int run(const Options& o) {
  zmq::context_t context(1);
  zmq::socket_t socket(context, zmq::socket_type::sub);
  try {
    socket.set(zmq::sockopt::rcvtimeo, 200);
    socket.set(zmq::sockopt::linger, 0);
    const std::string prefix = o.avro ? "avro.candidate." : "candidate.";
    if (o.topics.empty()) socket.set(zmq::sockopt::subscribe, prefix);
    for (const std::string& t : o.topics) socket.set(zmq::sockopt::subscribe, prefix + t);
    socket.connect(o.endpoint);
  } catch (const zmq::error_t& e) {
    std::cerr << "blink-listen: cannot connect to " << o.endpoint << ": " << e.what() << "\n";
    return 1;
  }
  const auto start = std::chrono::steady_clock::now();
  int printed = 0;
  uint64_t last_seq = 0, lost = 0;
  while (o.count == 0 || printed < o.count) {
    if (o.timeout_s > 0 &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >=
            o.timeout_s)
      break;
    std::vector<zmq::message_t> frames;
    try {
      zmq::message_t frame;
      if (!socket.recv(frame)) continue;  // timed out: check the clock again
      frames.push_back(std::move(frame));
      while (frames.back().more()) {
        zmq::message_t next;
        if (!socket.recv(next)) break;
        frames.push_back(std::move(next));
      }
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) break;
      std::cerr << "blink-listen: receiving: " << e.what() << "\n";
      return 1;
    }
    if (frames.size() != 2) {
      std::cerr << "blink-listen: skipped a message of " << frames.size() << " frames\n";
      continue;
    }
    const std::string topic = frames[0].to_string();
    Json body;
    if (o.avro) {
      auto decoded = blink::decode_avro_container(frames[1].to_string_view());
      if (!decoded) {
        std::cerr << "blink-listen: " << topic << ": " << decoded.status().message() << "\n";
        continue;
      }
      body = std::move(*decoded);
    } else {
      body = Json::parse(frames[1].to_string_view(), nullptr, false);
      if (body.is_discarded() || !body.is_object()) {
        std::cerr << "blink-listen: " << topic << ": the body is not a JSON object\n";
        continue;
      }
      // PUB drops silently at its high-water mark: "seq" gaps show it.
      if (body.contains("seq") && body["seq"].is_number_unsigned()) {
        uint64_t seq = body["seq"].get<uint64_t>();
        if (o.topics.empty() && last_seq > 0 && seq > last_seq + 1) lost += seq - last_seq - 1;
        last_seq = seq;
      }
    }
    const View v = view_of(topic, body);
    if (!wanted(o, v)) continue;
    if (o.json) {
      shorten_bytes(body);
      std::cout << body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    } else {
      std::cout << line_of(topic, v) << "\n";
    }
    std::cout.flush();
    ++printed;
  }
  if (lost > 0) std::cerr << "blink-listen: " << lost << " messages lost (gaps in seq)\n";
  return o.count > 0 && printed < o.count ? 2 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"blink-listen: print blinkd's alerts as they arrive"};
  app.add_option("--endpoint", o.endpoint, "blinkd's alerts PUB socket (alerts.endpoint)")
      ->capture_default_str();
  app.add_flag("--avro", o.avro,
               "subscribe to the Avro packets (avro.candidate.*) and decode them");
  app.add_flag("--json", o.json, "print each whole message (cutout bytes shown by size)");
  app.add_option("--topic", o.topics,
                 "alert, review, rejected or verdict (repeatable; default all)")
      ->check(CLI::IsMember({"alert", "review", "rejected", "verdict"}));
  app.add_option("--class", o.classes,
                 "only candidates whose most probable class is this (repeatable: any of)")
      ->check(CLI::IsMember({"supernova", "variable", "moving", "nuclear", "artefact"}));
  app.add_option("--min-score", o.min_score,
                 "only messages with real_bogus (verdicts: posterior) at least this")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--field", o.fields, "only this field (repeatable: any of)");
  app.add_option("--count", o.count, "exit after printing this many (0: never)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--timeout", o.timeout_s, "exit after this many seconds (0: never)")
      ->check(CLI::NonNegativeNumber);
  CLI11_PARSE(app, argc, argv);
  return run(o);
}
