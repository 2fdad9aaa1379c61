#include "config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "endpoint.h"
#include "router.h"

namespace blink {
namespace {

using Errors = std::vector<std::string>;

// Where a key was read from, for messages: "blink.toml:12: ".
std::string at(std::string_view origin, const toml::node& node) {
  const auto& src = node.source();
  if (src.begin.line == 0) return std::string(origin) + ": ";
  return std::string(origin) + ":" + std::to_string(src.begin.line) + ": ";
}

// A TOML basic string: double quotes, escapes for quotes, backslashes and controls.
std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", unsigned(static_cast<unsigned char>(c)));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

// A TOML value as it would be written, for "got ..." in messages.
std::string shown(const toml::node& node) {
  if (node.is_table()) return "a table";
  if (node.is_array()) return "an array";
  if (auto s = node.as_string()) return quoted(s->get());
  std::ostringstream out;
  node.visit([&](auto&& v) { out << v; });
  return out.str();
}

std::string number_text(double v) {
  char buf[32];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.1f", v);  // stays a TOML float
  } else {
    std::snprintf(buf, sizeof buf, "%.10g", v);
  }
  return buf;
}

std::string bound_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

// Whether a SIGHUP reload applies a key.
enum class Reload { kLive, kRestart };

// One accepted key: how to read, check and show it.
struct KeyDef {
  std::string section;
  std::string name;
  std::string doc;  // one or more comment lines, without '#'
  bool reloadable;
  std::function<void(const toml::node&, Config&, const std::string& where, Errors&)> read;
  std::function<std::string(const Config&)> show;  // the TOML literal of the value
  std::function<void(const Config& from, Config& to)> copy;
};

template <typename T>
using Field = T& (*)(Config&);
#define BLINK_FIELD(member) (+[](Config& c) -> decltype(auto) { return (c.member); })

template <typename T>
T& field_of(Field<T> f, const Config& c) {
  return f(const_cast<Config&>(c));
}

// What every kind of key shares: its place, its documentation, and copying its value.
template <typename T>
KeyDef key_base(const std::string& section, const std::string& name, const std::string& doc,
                Reload reload, Field<T> f) {
  return {section,
          name,
          doc,
          reload == Reload::kLive,
          nullptr,
          nullptr,
          [f](const Config& from, Config& to) { f(to) = field_of(f, from); }};
}

KeyDef string_key(std::string section, std::string name, std::string doc, Reload reload,
                  Field<std::string> f, std::function<std::string(const std::string&)> check) {
  std::string dotted = section + "." + name;
  KeyDef k = key_base(section, name, doc, reload, f);
  k.read = [=](const toml::node& n, Config& c, const std::string& where, Errors& errors) {
    auto s = n.as_string();
    std::string problem;
    if (s) {
      problem = check(s->get());
    } else {
      problem = check("");  // says what kind of string would have been right
      if (problem.empty()) problem = "must be a string";
    }
    if (!problem.empty()) {
      errors.push_back(where + dotted + " " + problem + ", got " + shown(n));
      return;
    }
    f(c) = s->get();
  };
  k.show = [=](const Config& c) { return quoted(field_of(f, c)); };
  return k;
}

template <typename E>
KeyDef enum_key(std::string section, std::string name, std::string doc, Reload reload, Field<E> f,
                std::vector<std::pair<std::string, E>> choices) {
  std::string dotted = section + "." + name;
  std::string allowed;
  for (const auto& [text, value] : choices) allowed += (allowed.empty() ? "" : ", ") + quoted(text);
  KeyDef k = key_base(section, name, doc, reload, f);
  k.read = [=](const toml::node& n, Config& c, const std::string& where, Errors& errors) {
    if (auto s = n.as_string()) {
      for (const auto& [text, value] : choices) {
        if (s->get() == text) {
          f(c) = value;
          return;
        }
      }
    }
    errors.push_back(where + dotted + " must be one of " + allowed + ", got " + shown(n));
  };
  k.show = [=](const Config& c) {
    for (const auto& [text, value] : choices)
      if (field_of(f, c) == value) return quoted(text);
    return std::string("\"?\"");
  };
  return k;
}

template <typename I>
KeyDef integer_key(std::string section, std::string name, std::string doc, Reload reload,
                   Field<I> f, int64_t lo, int64_t hi) {
  std::string dotted = section + "." + name;
  KeyDef k = key_base(section, name, doc, reload, f);
  k.read = [=](const toml::node& n, Config& c, const std::string& where, Errors& errors) {
    auto v = n.as_integer();
    if (!v || v->get() < lo || v->get() > hi) {
      errors.push_back(where + dotted + " must be an integer between " + std::to_string(lo) +
                       " and " + std::to_string(hi) + ", got " + shown(n));
      return;
    }
    f(c) = static_cast<I>(v->get());
  };
  k.show = [=](const Config& c) { return std::to_string(field_of(f, c)); };
  return k;
}

KeyDef bool_key(std::string section, std::string name, std::string doc, Reload reload,
                Field<bool> f) {
  std::string dotted = section + "." + name;
  KeyDef k = key_base(section, name, doc, reload, f);
  k.read = [=](const toml::node& n, Config& c, const std::string& where, Errors& errors) {
    auto b = n.as_boolean();
    if (!b) {
      errors.push_back(where + dotted + " must be true or false, got " + shown(n));
      return;
    }
    f(c) = b->get();
  };
  k.show = [=](const Config& c) { return std::string(field_of(f, c) ? "true" : "false"); };
  return k;
}

// Whether a range includes its lower bound.
enum class Low { kIncluded, kExcluded };

// A number (TOML integer or float) in [lo, hi], or (lo, hi] with Low::kExcluded.
KeyDef number_key(std::string section, std::string name, std::string doc, Reload reload,
                  Field<double> f, double lo, double hi, Low low = Low::kIncluded) {
  const bool lo_open = low == Low::kExcluded;
  std::string dotted = section + "." + name;
  std::string range = lo_open ? "greater than " + bound_text(lo) + " and at most " + bound_text(hi)
                              : "between " + bound_text(lo) + " and " + bound_text(hi);
  KeyDef k = key_base(section, name, doc, reload, f);
  k.read = [=](const toml::node& n, Config& c, const std::string& where, Errors& errors) {
    std::optional<double> v;
    if (auto i = n.as_integer()) v = double(i->get());
    if (auto d = n.as_floating_point()) v = d->get();
    if (!v || !std::isfinite(*v) || *v > hi || (lo_open ? *v <= lo : *v < lo)) {
      errors.push_back(where + dotted + " must be a number " + range + ", got " + shown(n));
      return;
    }
    f(c) = *v;
  };
  k.show = [=](const Config& c) { return number_text(field_of(f, c)); };
  return k;
}

std::string check_endpoint(const std::string& s) {
  return parse_zmq_endpoint(s) ? "" : "must be a ZeroMQ endpoint tcp://HOST:PORT or ipc://PATH";
}
std::string check_listen(const std::string& s) {
  return parse_listen_address(s)
             ? ""
             : "must be HOST:PORT (an IPv4 address or name, or [IPv6]; port 0-65535)";
}
std::string check_optional_listen(const std::string& s) {
  return s.empty() ? "" : check_listen(s);
}
std::string check_nonempty_path(const std::string& s) {
  return s.empty() ? "must be a non-empty path" : "";
}
std::string check_any(const std::string&) { return ""; }

struct SectionDef {
  std::string name;
  std::string doc;
};

const std::vector<SectionDef>& sections() {
  static const std::vector<SectionDef> s = {
      {"ingest",
       "Exposures in: one ZeroMQ message per exposure, two frames (JSON envelope, FITS bytes);\n"
       "see docs/wire-protocol.md."},
      {"alerts",
       "Candidates out: a PUB socket; topics candidate.alert, candidate.review, "
       "candidate.rejected."},
      {"http", "The HTTP API (/healthz, /readyz, /api/v1/...) and the volunteers' page."},
      {"metrics", "Prometheus metrics, served at http://<listen>/metrics."},
      {"security",
       "ZeroMQ CURVE encryption and authentication of the ingest and alerts sockets\n"
       "(docs/curve-keys.md). Key files: make them with blinkd --make-curve-keys PREFIX."},
      {"state",
       "Durable state: the SQLite database blink.db, spool/, references/, quarantine/, defects/."},
      {"pipeline", "The worker pool that runs the difference-imaging pipeline."},
      {"subtraction", "How the reference is subtracted from the science image."},
      {"detection", "Detection on the difference image."},
      {"background", "Background estimation."},
      {"photometry", "Values used when an exposure's FITS header lacks them."},
      {"scoring", "How candidates are scored real or bogus."},
      {"routing",
       "Where each candidate goes, by its real/bogus score and its anomaly score; thresholds\n"
       "may differ per field and band."},
      {"objects",
       "Detections at the same sky position across exposures are one object; each candidate\n"
       "carries its object's earlier detections and non-detection limits."},
      {"anomaly",
       "How unusual a candidate is among recent ones: an isolation forest on its measurements\n"
       "and light curve, refitted on a schedule. The score is the share of recent candidates\n"
       "that are less unusual."},
      {"review",
       "The volunteers' review queue: SWAP skill-weighted posteriors, retirement, training\n"
       "subjects."},
      {"fakes",
       "Synthetic point sources added to each science image before subtraction: they measure\n"
       "completeness and become training subjects for volunteers. Never published."},
      {"limits", "Bounds on input, checked before memory is allocated."},
      {"log", "Logging to stderr (journald understands the level markers)."},
  };
  return s;
}

const std::vector<KeyDef>& key_defs() {
  static const std::vector<KeyDef> defs = {
      enum_key<IngestMode>(
          "ingest", "mode",
          "\"pull\": bind a PULL socket; producers connect PUSH. Nothing is dropped: a slow\n"
          "daemon pushes back on its producers.\n"
          "\"sub\": connect a SUB socket to a camera's PUB socket and subscribe to everything;\n"
          "messages beyond high_water_mark are dropped (by ZeroMQ, silently).",
          Reload::kRestart, BLINK_FIELD(ingest.mode),
          {{"pull", IngestMode::kPull}, {"sub", IngestMode::kSub}}),
      string_key(
          "ingest", "endpoint",
          "Bound in \"pull\" mode, connected to in \"sub\" mode. tcp://HOST:PORT or ipc://PATH.",
          Reload::kRestart, BLINK_FIELD(ingest.endpoint), check_endpoint),
      integer_key<int64_t>(
          "ingest", "max_message_bytes",
          "Largest accepted message (envelope + FITS bytes). A larger one is rejected as\n"
          "\"oversized\"; a single frame over twice this is refused by ZeroMQ itself, which\n"
          "drops the producer's connection (the producer reconnects; that message is lost).",
          Reload::kRestart, BLINK_FIELD(ingest.max_message_bytes), 1024, int64_t(1) << 32),
      integer_key<int>(
          "ingest", "high_water_mark",
          "Messages ZeroMQ may hold for the daemon before it pushes back (pull) or drops (sub).\n"
          "Memory: up to this many messages of max_message_bytes.",
          Reload::kRestart, BLINK_FIELD(ingest.high_water_mark), 1, 1000000),
      string_key("alerts", "endpoint",
                 "Bound by blinkd; subscribers connect. tcp://HOST:PORT or ipc://PATH.",
                 Reload::kRestart, BLINK_FIELD(alerts.endpoint), check_endpoint),
      integer_key<int>(
          "alerts", "high_water_mark",
          "Candidate messages queued per subscriber before PUB drops (silently; subscribers\n"
          "see gaps in \"seq\"). About 1 KiB each.",
          Reload::kRestart, BLINK_FIELD(alerts.high_water_mark), 1, 10000000),
      bool_key("alerts", "avro",
               "Also publish each candidate and verdict as an Avro packet (schema/, ZTF's alert\n"
               "shape, cutouts as 63x63 FITS) on avro.candidate.alert, avro.candidate.review,\n"
               "avro.candidate.rejected and avro.candidate.verdict.",
               Reload::kRestart, BLINK_FIELD(alerts.avro)),
      string_key("http", "listen", "HOST:PORT of the HTTP API and page. Port 0 picks a free port.",
                 Reload::kRestart, BLINK_FIELD(http.listen), check_listen),
      string_key(
          "http", "web_root",
          "Folder of the page served at /. Empty: the web/ folder of the source tree blinkd\n"
          "was built from if it is there, else ../share/blink/web next to the binary, else\n"
          "/usr/share/blink/web.",
          Reload::kRestart, BLINK_FIELD(http.web_root), check_any),
      string_key(
          "http", "operator_token",
          "Bearer token operator endpoints (POST /api/v1/reload, blinkctl reload) require in\n"
          "\"Authorization: Bearer <token>\". Empty: operator endpoints answer 403. Keep the\n"
          "file readable by the service only when set.",
          Reload::kRestart, BLINK_FIELD(http.operator_token), check_any),
      string_key(
          "http", "operator_listen",
          "HOST:PORT of a second listener that alone serves the operator endpoints (reload,\n"
          "export); the http.listen one then answers them 404. Both still need the token.\n"
          "Empty: http.listen serves them.",
          Reload::kRestart, BLINK_FIELD(http.operator_listen), check_optional_listen),
      integer_key<int>(
          "http", "ready_stall_seconds",
          "/readyz answers 503 (queue stalled) when exposures are queued or in flight and\n"
          "none finished for this many seconds. 0: never.",
          Reload::kRestart, BLINK_FIELD(http.ready_stall_seconds), 0, 86400),
      string_key("metrics", "listen", "HOST:PORT of the Prometheus endpoint (path /metrics).",
                 Reload::kRestart, BLINK_FIELD(metrics.listen), check_listen),
      string_key(
          "security", "curve_secret_key",
          "blinkd's CURVE key pair (a secret key file, mode 0600). Set: the ingest socket\n"
          "(pull mode) and the alerts socket are CURVE servers with this key; clients need\n"
          "its public half. Empty: no encryption, no authentication.",
          Reload::kRestart, BLINK_FIELD(security.curve_secret_key), check_any),
      string_key(
          "security", "curve_allowed_clients",
          "Client public keys allowed on those sockets: a key file, or a folder of them.\n"
          "Others are refused and counted in blink_auth_refused_total. A reload re-reads it.\n"
          "Empty: any client that knows the server's public key (encryption only).",
          Reload::kLive, BLINK_FIELD(security.curve_allowed_clients), check_any),
      string_key(
          "security", "curve_camera_public_key",
          "\"sub\" mode with CURVE: the camera's public key file; blinkd connects as a CURVE\n"
          "client with its own key pair (curve_secret_key).",
          Reload::kRestart, BLINK_FIELD(security.curve_camera_public_key), check_any),
      string_key(
          "state", "dir",
          "Where blink.db, spool/, references/, quarantine/ and defects/ live. Relative paths\n"
          "are relative to the working directory. Embedded default: \"./blink-state\".",
          Reload::kRestart, BLINK_FIELD(state.dir), check_nonempty_path),
      integer_key<int64_t>(
          "state", "quarantine_max_bytes",
          "Bound on quarantine/ (copies of rejected input); the oldest files go first.\n"
          "0 keeps no copies.",
          Reload::kRestart, BLINK_FIELD(state.quarantine_max_bytes), 0, int64_t(1) << 42),
      integer_key<int>("pipeline", "workers", "Exposures processed in parallel.", Reload::kRestart,
                       BLINK_FIELD(pipeline.workers), 1, 256),
      integer_key<int>(
          "pipeline", "queue_size",
          "Accepted exposures waiting in memory for a worker. When full, ingest stops\n"
          "reading and producers are pushed back.",
          Reload::kRestart, BLINK_FIELD(pipeline.queue_size), 1, 4096),
      integer_key<int>("pipeline", "threads_per_exposure",
                       "Threads one exposure's pipeline may use (FFTs, rows). 0: the cores\n"
                       "blinkd may run on, shared among the exposures in flight when one starts\n"
                       "(a lone exposure gets them all; a busy night one each).",
                       Reload::kLive, BLINK_FIELD(pipeline.threads_per_exposure), 0, 256),
      integer_key<int64_t>(
          "pipeline", "max_memory_bytes",
          "Bound on the memory held for exposures queued and in flight, estimated per\n"
          "exposure from its size in pixels. When it is reached, ingest stops reading (pull:\n"
          "producers are pushed back) or drops and counts (sub). One exposure is always\n"
          "admitted when none is held, whatever its size.",
          Reload::kRestart, BLINK_FIELD(pipeline.max_memory_bytes), int64_t(64) << 20,
          int64_t(1) << 44),
      enum_key<std::string>(
          "subtraction", "method",
          "\"zogy\" (Zackay, Ofek & Gal-Yam 2016), \"alard-lupton\" (a fitted convolution\n"
          "kernel), or \"auto\": ZOGY, and Alard-Lupton where ZOGY cannot run.",
          Reload::kLive, BLINK_FIELD(subtraction.method),
          {{"auto", "auto"}, {"zogy", "zogy"}, {"alard-lupton", "alard-lupton"}}),
      number_key("detection", "threshold_sigma",
                 "Detection threshold on the matched-filter significance image.", Reload::kLive,
                 BLINK_FIELD(detection.threshold_sigma), 1.0, 1000.0),
      integer_key<int>("detection", "min_pixels",
                       "Connected pixels above the threshold a detection needs.", Reload::kLive,
                       BLINK_FIELD(detection.min_pixels), 1, 10000),
      integer_key<int>("detection", "max_candidates",
                       "Per exposure; the most significant are kept.", Reload::kLive,
                       BLINK_FIELD(detection.max_candidates), 1, 1000000),
      integer_key<int>("background", "mesh_pixels", "Side of a background cell, pixels.",
                       Reload::kLive, BLINK_FIELD(background.mesh_pixels), 8, 4096),
      number_key("photometry", "default_gain", "e-/ADU when the header has no GAIN.", Reload::kLive,
                 BLINK_FIELD(photometry.default_gain), 0.0, 1e6, Low::kExcluded),
      number_key("photometry", "default_read_noise", "e- when the header has no RDNOISE.",
                 Reload::kLive, BLINK_FIELD(photometry.default_read_noise), 0.0, 1e6),
      number_key("photometry", "default_magzp", "Magnitude of 1 ADU when the header has no MAGZP.",
                 Reload::kLive, BLINK_FIELD(photometry.default_magzp), 0.0, 50.0),
      string_key("scoring", "model",
                 "The real/bogus model file written by blink-train (calibrated gradient-boosted\n"
                 "trees). Empty: the model shipped with Blink (models/realbogus-default.json of\n"
                 "the source tree blinkd was built from, else ../share/blink/models next to the\n"
                 "binary, else /usr/share/blink/models). \"heuristic\": the built-in logistic\n"
                 "score. A model that cannot be loaded falls back to the heuristic (logged).\n"
                 "A reload re-reads the file. Left empty, a model blinkd retrained and swapped\n"
                 "in itself (state/models/retrained.json, see retrain_hours) comes first.",
                 Reload::kLive, BLINK_FIELD(scoring.model), check_any),
      number_key("scoring", "retrain_hours",
                 "Every this many hours, retrain the real/bogus model on this daemon's own\n"
                 "labels (recovered fakes, training subjects, volunteers' verdicts, archived\n"
                 "artefacts) and swap it in when it is at least as good as the current one on\n"
                 "the same held-out exposures (AUC and Brier score). Only while model is empty.\n"
                 "0: never.",
                 Reload::kLive, BLINK_FIELD(scoring.retrain_hours), 0.0, 8760.0),
      integer_key<int>("scoring", "retrain_min_labels",
                       "Labelled candidates needed before retraining is tried.", Reload::kLive,
                       BLINK_FIELD(scoring.retrain_min_labels), 10, 100000000),
      number_key("routing", "alert_threshold",
                 "real_bogus >= this: published as candidate.alert. Must be >= archive_threshold.",
                 Reload::kLive, BLINK_FIELD(routing.alert_threshold), 0.0, 1.0),
      number_key("routing", "archive_threshold",
                 "real_bogus < this: candidate.rejected (archived). In between: candidate.review,\n"
                 "for volunteers.",
                 Reload::kLive, BLINK_FIELD(routing.archive_threshold), 0.0, 1.0),
      string_key("routing", "overrides",
                 "Thresholds for some fields or bands: comma-separated FIELD/BAND=ALERT/ARCHIVE\n"
                 "rules, \"*\" for any, e.g. \"F0001/r=0.9/0.1, */g=0.85/0.2\". The most specific\n"
                 "rule wins (field and band, then field, then band).",
                 Reload::kLive, BLINK_FIELD(routing.overrides), [](const std::string& v) {
                   auto r = parse_overrides(v);
                   return r ? std::string() : r.status().message();
                 }),
      number_key("routing", "anomaly_threshold",
                 "anomaly >= this: candidate.review, whatever the real/bogus score, so that the\n"
                 "odd ones reach people. 1.0 turns it off.",
                 Reload::kLive, BLINK_FIELD(routing.anomaly_threshold), 0.0, 1.0),
      number_key("objects", "radius_arcsec",
                 "Detections closer than this are the same object.", Reload::kLive,
                 BLINK_FIELD(objects.radius_arcsec), 0.01, 60.0),
      number_key("objects", "lookback_days",
                 "How far back a candidate's history (detections and limits) reaches.",
                 Reload::kLive, BLINK_FIELD(objects.lookback_days), 0.0, 3650.0),
      number_key("objects", "max_motion_arcsec_per_hour",
                 "Fastest moving object linked between exposures of one night.", Reload::kLive,
                 BLINK_FIELD(objects.max_motion_arcsec_per_hour), 1.0, 1e6),
      number_key("anomaly", "window_days",
                 "The forest is fitted on candidates stored in this many recent days.",
                 Reload::kLive, BLINK_FIELD(anomaly.window_days), 0.1, 365.0),
      number_key("anomaly", "refit_hours", "Hours between refits.", Reload::kLive,
                 BLINK_FIELD(anomaly.refit_hours), 0.01, 8760.0),
      integer_key<int>("anomaly", "min_candidates",
                       "No anomaly score (0) until this many candidates are stored to fit on.",
                       Reload::kLive, BLINK_FIELD(anomaly.min_candidates), 10, 10000000),
      integer_key<int>("anomaly", "max_candidates",
                       "The newest this many candidates of the window are fitted on.",
                       Reload::kLive, BLINK_FIELD(anomaly.max_candidates), 10, 10000000),
      number_key("http", "rate_limit_per_address",
                 "Volunteer API requests per second from one client address (burst: three\n"
                 "seconds' worth); beyond it 429 with Retry-After. 0: no limit.",
                 Reload::kRestart, BLINK_FIELD(http.rate_limit_per_address), 0.0, 1e6),
      number_key("http", "rate_limit_per_volunteer",
                 "Volunteer API requests per second from one volunteer; 0: no limit.",
                 Reload::kRestart, BLINK_FIELD(http.rate_limit_per_volunteer), 0.0, 1e6),
      number_key("http", "signups_per_address_per_hour",
                 "Sign-ups per hour from one client address (burst 5); 0: no limit.",
                 Reload::kRestart, BLINK_FIELD(http.signups_per_address_per_hour), 0.0, 1e6),
      number_key("review", "real_threshold",
                 "A subject whose posterior P(real) reaches this retires as real.", Reload::kLive,
                 BLINK_FIELD(review.real_threshold), 0.5, 1.0),
      number_key("review", "bogus_threshold",
                 "A subject whose posterior P(real) falls to this retires as bogus.",
                 Reload::kLive, BLINK_FIELD(review.bogus_threshold), 0.0, 0.5),
      integer_key<int>("review", "max_votes",
                       "A subject still undecided after this many votes retires as undecided.",
                       Reload::kLive, BLINK_FIELD(review.max_votes), 1, 1000),
      number_key("review", "lease_seconds",
                 "How long a subject shown to a volunteer is kept for them. It returns to the\n"
                 "queue silently afterwards: no deadline, no penalty.",
                 Reload::kLive, BLINK_FIELD(review.lease_seconds), 10.0, 86400.0),
      number_key("review", "consensus_weight",
                 "What a subject retired real or bogus by the crowd teaches each of its voters'\n"
                 "skill, as a share of a training subject (0: only training subjects teach).",
                 Reload::kLive, BLINK_FIELD(review.consensus_weight), 0.0, 1.0),
      number_key("review", "training_rate_initial",
                 "Share of training subjects shown to a newcomer.", Reload::kLive,
                 BLINK_FIELD(review.training_rate_initial), 0.0, 1.0),
      number_key("review", "training_rate_floor",
                 "Share of training subjects shown to the most experienced volunteers.",
                 Reload::kLive, BLINK_FIELD(review.training_rate_floor), 0.0, 1.0),
      number_key("review", "training_rate_half_life",
                 "Classifications after which the training share has fallen halfway to the floor.",
                 Reload::kLive, BLINK_FIELD(review.training_rate_half_life), 1.0, 1e6),
      integer_key<int>("review", "artefact_subjects_per_exposure",
                       "Archived candidates with an unmistakable artefact signature (on a masked\n"
                       "pixel, far sharper than the PSF, or a dipole) kept per exposure as\n"
                       "training subjects whose truth is \"bogus\".",
                       Reload::kLive, BLINK_FIELD(review.artefact_subjects_per_exposure), 0, 100),
      integer_key<int>("fakes", "per_exposure",
                       "Point sources injected into each science exposure; 0 turns injection off.",
                       Reload::kLive, BLINK_FIELD(fakes.per_exposure), 0, 1000),
      number_key("fakes", "mag_min", "Brightest injected magnitude.", Reload::kLive,
                 BLINK_FIELD(fakes.mag_min), 0.0, 40.0),
      number_key("fakes", "mag_max", "Faintest injected magnitude.", Reload::kLive,
                 BLINK_FIELD(fakes.mag_max), 0.0, 40.0),
      integer_key<int64_t>(
          "limits", "max_image_pixels",
          "Largest image (width x height) decoded; larger ones are rejected as bad_fits.",
          Reload::kLive, BLINK_FIELD(limits.max_image_pixels), 1024, int64_t(1) << 36),
      enum_key<LogLevel>("log", "level", "One of \"debug\", \"info\", \"warning\", \"error\".",
                         Reload::kLive, BLINK_FIELD(log.level),
                         {{"debug", LogLevel::kDebug},
                          {"info", LogLevel::kInfo},
                          {"warning", LogLevel::kWarning},
                          {"error", LogLevel::kError}}),
  };
  return defs;
}

std::string allowed_in(const std::string& section) {
  std::string out;
  for (const KeyDef& k : key_defs())
    if (k.section == section) out += (out.empty() ? "" : ", ") + k.name;
  return out;
}

std::string allowed_sections() {
  std::string out;
  for (const SectionDef& s : sections()) out += (out.empty() ? "" : ", ") + s.name;
  return out;
}

const KeyDef* find_key(const std::string& section, const std::string& name) {
  for (const KeyDef& k : key_defs())
    if (k.section == section && k.name == name) return &k;
  return nullptr;
}

bool known_section(const std::string& name) {
  return std::any_of(sections().begin(), sections().end(),
                     [&](const SectionDef& s) { return s.name == name; });
}

void comment(std::string& out, const std::string& text) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out += "# " + line + "\n";
}

}  // namespace

Result<Config> parse_config(std::string_view toml_text, std::string_view origin) {
  toml::table root;
  try {
    root = toml::parse(toml_text, origin);
  } catch (const toml::parse_error& e) {
    const auto& src = e.source();
    return Status::invalid(std::string(origin) + ":" + std::to_string(src.begin.line) + ":" +
                           std::to_string(src.begin.column) +
                           ": not valid TOML: " + std::string(e.description()));
  }
  Config config;
  Errors errors;
  for (auto&& [section_key, section_node] : root) {
    std::string section(section_key.str());
    if (!known_section(section)) {
      errors.push_back(
          at(origin, section_node) + "unknown " +
          (section_node.is_table() ? "section [" + section + "]" : "key '" + section + "'") +
          " (allowed sections: " + allowed_sections() + ")");
      continue;
    }
    auto* table = section_node.as_table();
    if (!table) {
      errors.push_back(at(origin, section_node) + section + " must be a table [" + section +
                       "], got " + shown(section_node));
      continue;
    }
    for (auto&& [key, node] : *table) {
      std::string name(key.str());
      const KeyDef* def = find_key(section, name);
      if (!def) {
        errors.push_back(at(origin, node) + "unknown key '" + section + "." + name +
                         "' (allowed in [" + section + "]: " + allowed_in(section) + ")");
        continue;
      }
      def->read(node, config, at(origin, node), errors);
    }
  }
  if (config.fakes.mag_max < config.fakes.mag_min)
    errors.push_back(std::string(origin) + ": fakes.mag_max (" + bound_text(config.fakes.mag_max) +
                     ") must be >= fakes.mag_min (" + bound_text(config.fakes.mag_min) + ")");
  if (config.review.training_rate_floor > config.review.training_rate_initial)
    errors.push_back(std::string(origin) + ": review.training_rate_floor (" +
                     bound_text(config.review.training_rate_floor) +
                     ") must be <= review.training_rate_initial (" +
                     bound_text(config.review.training_rate_initial) + ")");
  if (config.ingest.mode == IngestMode::kSub && !config.security.curve_secret_key.empty() &&
      config.security.curve_camera_public_key.empty())
    errors.push_back(std::string(origin) +
                     ": security.curve_camera_public_key must name the camera's public key file "
                     "when ingest.mode is \"sub\" and security.curve_secret_key is set");
  if (!config.http.operator_listen.empty() && config.http.operator_listen == config.http.listen)
    errors.push_back(std::string(origin) + ": http.operator_listen must differ from http.listen");
  if (config.routing.alert_threshold < config.routing.archive_threshold) {
    errors.push_back(std::string(origin) + ": routing.alert_threshold (" +
                     bound_text(config.routing.alert_threshold) +
                     ") must be >= routing.archive_threshold (" +
                     bound_text(config.routing.archive_threshold) + ")");
  }
  if (!errors.empty()) {
    std::string message;
    for (const auto& e : errors) message += (message.empty() ? "" : "\n") + e;
    return Status::invalid(message);
  }
  return config;
}

Result<Config> load_config_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::io_error("cannot read configuration file " + path);
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::io_error("error reading configuration file " + path);
  return parse_config(text.str(), path);
}

std::string config_to_toml(const Config& config) {
  std::string out =
      "# blinkd configuration (TOML). Every key is optional: a key left out takes the\n"
      "# value shown here, which is the default embedded in blinkd. Check a file with\n"
      "#   blinkd --check-config FILE\n"
      "# A SIGHUP (systemctl reload blinkd) re-reads it and applies every key except\n"
      "# those marked [restart], which take effect only after a restart.\n";
  for (const SectionDef& s : sections()) {
    if (!out.empty()) out += "\n";
    comment(out, s.doc);
    out += "[" + s.name + "]\n";
    for (const KeyDef& k : key_defs()) {
      if (k.section != s.name) continue;
      comment(out, k.doc + (k.reloadable ? "" : " [restart]"));
      out += k.name + " = " + k.show(config) + "\n";
    }
  }
  return out;
}

std::vector<ConfigKey> config_keys() {
  std::vector<ConfigKey> keys;
  for (const KeyDef& k : key_defs()) keys.push_back({k.section, k.name, k.reloadable});
  return keys;
}

std::vector<std::string> changed_keys_needing_restart(const Config& before, const Config& after) {
  std::vector<std::string> changed;
  for (const KeyDef& k : key_defs())
    if (!k.reloadable && k.show(before) != k.show(after))
      changed.push_back(k.section + "." + k.name);
  return changed;
}

Config with_reloaded_keys(const Config& running, const Config& loaded) {
  Config out = running;
  for (const KeyDef& k : key_defs())
    if (k.reloadable) k.copy(loaded, out);
  return out;
}

PipelineOptions pipeline_options(const Config& config) {
  PipelineOptions o;
  o.detect_threshold = config.detection.threshold_sigma;
  o.min_pixels = config.detection.min_pixels;
  o.max_candidates = config.detection.max_candidates;
  o.background_mesh = config.background.mesh_pixels;
  o.default_gain = config.photometry.default_gain;
  o.default_read_noise = config.photometry.default_read_noise;
  o.default_magzp = config.photometry.default_magzp;
  o.threads = config.pipeline.threads_per_exposure;
  o.method = config.subtraction.method;
  o.fakes.per_exposure = config.fakes.per_exposure;
  o.fakes.mag_min = config.fakes.mag_min;
  o.fakes.mag_max = config.fakes.mag_max;
  return o;
}

}  // namespace blink
