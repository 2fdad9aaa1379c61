// blinkd's configuration: one plain struct with the embedded defaults, read
// from TOML (toml++) with every error collected and named by its key, and
// written back out as the documented TOML (--print-default-config). The keys,
// their documentation and their checks live in one table in config.cc; the
// shipped config/blink.toml is that table's output (tests keep them in step).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "log.h"
#include "pipeline.h"
#include "status.h"

namespace blink {

enum class IngestMode {
  kPull,  // bind PULL; producers connect PUSH; nothing dropped, back-pressure
  kSub,   // connect SUB to a camera's PUB; drops beyond the high-water mark
};

// Every setting of blinkd. A value type: copy it freely; nothing in it is shared.
struct Config {
  struct Ingest {
    IngestMode mode = IngestMode::kPull;
    std::string endpoint = "tcp://127.0.0.1:5555";
    int64_t max_message_bytes = 268435456;
    int high_water_mark = 4;
  } ingest;
  struct Alerts {
    std::string endpoint = "tcp://127.0.0.1:5556";
    int high_water_mark = 20000;
    bool avro = true;  // also publish each candidate and verdict as an Avro packet (avro.* topics)
  } alerts;
  struct Http {
    std::string listen = "127.0.0.1:8080";
    std::string web_root;  // empty: found automatically (see resolve_web_root)
    // Bearer token for operator endpoints (POST /api/v1/reload); empty: they answer 403.
    std::string operator_token;
    // A second HOST:PORT that alone serves the operator endpoints; empty: http.listen does.
    std::string operator_listen;
    // /readyz fails when exposures wait and none finished for this long; 0: never.
    int ready_stall_seconds = 300;
    // Volunteer API rate limits (429, never a ban); 0 turns one off.
    double rate_limit_per_address = 20;   // requests per second
    double rate_limit_per_volunteer = 10;  // requests per second
    double signups_per_address_per_hour = 10;
  } http;
  struct Metrics {
    std::string listen = "127.0.0.1:9464";
  } metrics;
  struct Security {
    std::string curve_secret_key;         // blinkd's key pair file; empty: CURVE off
    std::string curve_allowed_clients;    // client public keys (file or folder); empty: any
    std::string curve_camera_public_key;  // "sub" mode: the camera's public key file
  } security;
  struct State {
    std::string dir = "./blink-state";
    int64_t quarantine_max_bytes = int64_t(1) << 30;
  } state;
  struct Pipeline {
    int workers = 2;
    int queue_size = 4;
    int threads_per_exposure = 0;  // 0: share the cores among exposures in flight
    // Bound on the memory held for exposures queued and in flight (see memory_budget.h).
    int64_t max_memory_bytes = int64_t(2) << 30;
  } pipeline;
  struct Subtraction {
    std::string method = "auto";  // "auto", "zogy" or "alard-lupton"
  } subtraction;
  struct Detection {
    double threshold_sigma = 5.0;
    int min_pixels = 3;
    int max_candidates = 2000;
  } detection;
  struct Background {
    int mesh_pixels = 64;
  } background;
  struct Photometry {
    double default_gain = 1.0;
    double default_read_noise = 5.0;
    double default_magzp = 25.0;
  } photometry;
  struct Scoring {
    // The real/bogus model file (blink-train). Empty: the model shipped with
    // Blink (see resolve_model_path); "heuristic": the built-in fallback.
    std::string model;
    double retrain_hours = 0;     // model_retrainer.h; 0: never
    int retrain_min_labels = 200;
  } scoring;
  struct Routing {
    double alert_threshold = 0.8;
    double archive_threshold = 0.2;
    std::string overrides;  // parse_overrides (router.h)
    double anomaly_threshold = 0.995;
  } routing;
  struct Objects {
    double radius_arcsec = 1.0;
    double lookback_days = 30.0;
    double max_motion_arcsec_per_hour = 600.0;
  } objects;
  struct Anomaly {
    double window_days = 7.0;
    double refit_hours = 6.0;
    int min_candidates = 500;
    int max_candidates = 20000;
  } anomaly;
  struct Review {
    double real_threshold = 0.99;   // posterior >= this: retired as real
    double bogus_threshold = 0.01;  // posterior <= this: retired as bogus
    int max_votes = 15;             // retired as undecided after this many
    double lease_seconds = 1800;    // a subject shown and not answered returns silently
    double consensus_weight = 1.0;  // a retired verdict as a share of a training subject
    double training_rate_initial = 0.5;
    double training_rate_floor = 0.05;
    double training_rate_half_life = 20;  // classifications
    int artefact_subjects_per_exposure = 2;  // unmistakable artefacts kept as training
  } review;
  struct Fakes {
    int per_exposure = 5;
    double mag_min = 18.5, mag_max = 22.0;
  } fakes;
  struct Limits {
    int64_t max_image_pixels = int64_t(16384) * 16384;
  } limits;
  struct Log {
    LogLevel level = LogLevel::kInfo;
  } log;
};

// Parses and validates TOML text. `origin` names the source in messages
// ("blink.toml:3: ..."). On failure the Status (kInvalidArgument) holds every
// problem found, one per line, each naming its key and what is allowed.
Result<Config> parse_config(std::string_view toml_text, std::string_view origin);

// Reads and parses a file; an unreadable file fails with kIOError.
Result<Config> load_config_file(const std::string& path);

// The configuration as documented TOML: every key with its comment.
std::string config_to_toml(const Config& config);

// One key the configuration accepts.
struct ConfigKey {
  std::string section;
  std::string name;
  bool reloadable;  // applied by a SIGHUP reload; otherwise needs a restart
  std::string dotted() const { return section + "." + name; }
};
std::vector<ConfigKey> config_keys();

// Keys that differ between `before` and `after` and only take effect after a restart.
std::vector<std::string> changed_keys_needing_restart(const Config& before, const Config& after);

// `running` with the values of every reloadable key taken from `loaded`.
Config with_reloaded_keys(const Config& running, const Config& loaded);

// The detectors' options that follow from the configuration.
PipelineOptions pipeline_options(const Config& config);

}  // namespace blink
