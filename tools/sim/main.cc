// blink-sim: renders a simulated survey night and pushes it to blinkd over
// wire protocol v1 (docs/wire-protocol.md), optionally also writing FITS files
// and the truth CSV. This file holds the command line and the one adapter
// that talks to ZeroMQ; everything else is the blink_sim library.
#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <zmq.hpp>

#include "curve_keys.h"
#include "run.h"
#include "survey.h"

namespace {

using blink::Status;
using blink::sim::ExposureSink;

std::atomic<bool> g_stop{false};

std::string seconds(int ms) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", ms / 1000.0);
  return text;
}
extern "C" void on_signal(int) { g_stop = true; }

struct PushOptions {
  std::string endpoint = "tcp://127.0.0.1:5555";
  int send_hwm = 4;                // exposures queued in this process: bounds memory
  int connect_timeout_ms = 10000;  // for the first exposure: is anyone there?
  int send_timeout_ms = 300000;    // later: how long a stalled receiver may hold us
  int linger_ms = -1;              // at exit: wait until every queued exposure is delivered
  // CURVE (blinkd's security.curve_secret_key): the daemon's public key and our key pair.
  std::string curve_server_key_file, curve_client_key_file;
};

// Connects a PUSH socket to the daemon's PULL socket. PUSH blocks at the
// high-water mark rather than dropping, which is the back-pressure the
// protocol wants; ZMQ_IMMEDIATE keeps messages from queueing for a peer that
// never connected, so "nobody listening" surfaces as a timeout on the first send.
class ZmqPushSink : public ExposureSink {
 public:
  explicit ZmqPushSink(PushOptions options)
      : options_(std::move(options)), socket_(context_, zmq::socket_type::push) {}

  Status connect() {
    try {
      socket_.set(zmq::sockopt::sndhwm, options_.send_hwm);
      socket_.set(zmq::sockopt::immediate, 1);
      socket_.set(zmq::sockopt::linger, options_.linger_ms);
      if (!options_.curve_server_key_file.empty()) {
        auto server = blink::read_curve_public_file(options_.curve_server_key_file);
        if (!server) return server.status();
        auto pair = blink::read_curve_secret_file(options_.curve_client_key_file);
        if (!pair) return pair.status();
        if (Status s = blink::make_curve_client(socket_, *pair, *server); !s) return s;
      }
      socket_.connect(options_.endpoint);
    } catch (const zmq::error_t& e) {
      return Status::invalid("cannot connect to '" + options_.endpoint + "': " + e.what());
    }
    return Status::ok();
  }

  Status send(const std::string& envelope, std::vector<uint8_t>&& fits) override {
    const int timeout = first_ ? options_.connect_timeout_ms : options_.send_timeout_ms;
    try {
      socket_.set(zmq::sockopt::sndtimeo, timeout);
      if (!socket_.send(zmq::buffer(envelope), zmq::send_flags::sndmore)) {
        return Status::unavailable(
            (first_ ? "no receiver at " : "the receiver at ") + options_.endpoint +
            (first_ ? " accepted an exposure within " : " accepted nothing for ") +
            seconds(timeout) + " s" +
            (first_ ? " (is blinkd running and bound there?)" : " (stalled?)"));
      }
      // Hand the bytes to ZeroMQ without a copy; it frees them once sent.
      auto* owned = new std::vector<uint8_t>(std::move(fits));
      zmq::message_t body(
          owned->data(), owned->size(),
          [](void*, void* hint) { delete static_cast<std::vector<uint8_t>*>(hint); }, owned);
      // The later parts of a started message are always accepted.
      if (!socket_.send(body, zmq::send_flags::none))
        return Status::internal("second frame refused");
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) return Status::unavailable("interrupted");
      return Status::unavailable("sending to " + options_.endpoint + ": " + e.what());
    }
    first_ = false;
    return Status::ok();
  }

  // Closes the socket, waiting up to `linger_ms` (-1: forever) for queued exposures.
  void close(int linger_ms) {
    socket_.set(zmq::sockopt::linger, linger_ms);
    socket_.close();
    context_.close();
  }

 private:
  PushOptions options_;
  zmq::context_t context_;
  zmq::socket_t socket_;
  bool first_ = true;
};

int exit_code_for(const Status& s) {
  if (g_stop) return 130;  // like a shell: 128 + SIGINT
  switch (s.code()) {
    case Status::Code::kInvalidArgument:
      return 1;
    case Status::Code::kUnavailable:
      return 2;
    case Status::Code::kIOError:
      return 3;
    default:
      return 4;
  }
}

}  // namespace

int main(int argc, char** argv) {
  blink::sim::SimConfig config;
  blink::sim::RunOptions run;
  PushOptions push;
  int size = 2048, width = 0, height = 0;
  bool no_publish = false;
  double connect_timeout_s = 10, send_timeout_s = 300;

  CLI::App app{
      "blink-sim: a deterministic sky-survey simulator that publishes exposures to blinkd."};
  app.add_option("--seed", config.seed,
                 "Random seed; the same seed gives the same pixels and truth")
      ->capture_default_str();
  app.add_option("--fields", config.fields, "Number of fields")->capture_default_str();
  app.add_option("--bands", config.bands, "Comma-separated bands (u,g,r,i,z,y)")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--ccds", config.ccds, "Detectors per exposure")->capture_default_str();
  app.add_option("--epochs", config.epochs, "Science epochs after the references")
      ->capture_default_str();
  app.add_option("--size", size, "Square image side (pixels)")->capture_default_str();
  app.add_option("--width", width, "Image width (overrides --size)");
  app.add_option("--height", height, "Image height (overrides --size)");
  app.add_option("--pixel-scale", config.pixel_scale_arcsec, "Arcseconds per pixel")
      ->capture_default_str();
  app.add_option("--exptime", config.exptime_s,
                 "Science exposure time (s); references are 4x longer")
      ->capture_default_str();
  app.add_option("--wcs-error-px", config.wcs_error_px,
                 "RMS error (px) injected into the header WCS")
      ->capture_default_str();
  app.add_option("--transient-density", config.transient_density,
                 "Multiplier on the number of transients")
      ->capture_default_str();
  app.add_option("--threads", config.threads,
                 "Threads for rendering noise (pixels do not depend on it)")
      ->capture_default_str();
  app.add_option("--endpoint", push.endpoint,
                 "Daemon's ingest endpoint (blink-sim connects a PUSH socket)")
      ->capture_default_str();
  app.add_option("--interval", run.interval_s,
                 "Seconds before each science exposure, after the previous one sent (0: as fast as accepted)")
      ->capture_default_str();
  app.add_option("--truth", run.truth_path, "Write the truth CSV here");
  app.add_option("--out", run.out_dir, "Also write each exposure as DIR/<exposure_id>.fits");
  app.add_flag("--no-publish", no_publish, "Do not publish; only write files");
  app.add_flag("--compress", config.compress, "Rice tile-compress the FITS images");
  app.add_option(
         "--linger-ms", push.linger_ms,
         "At exit, wait this long for queued exposures to be delivered (-1: until delivered)")
      ->capture_default_str();
  app.add_option("--connect-timeout", connect_timeout_s,
                 "Seconds to wait for a receiver to accept the first exposure")
      ->capture_default_str();
  app.add_option("--send-timeout", send_timeout_s,
                 "Seconds a stalled receiver may block a later exposure")
      ->capture_default_str();
  app.add_option("--curve-server-key", push.curve_server_key_file,
                 "blinkd's public key file (PREFIX.key): connect with CURVE encryption");
  app.add_option("--curve-client-key", push.curve_client_key_file,
                 "our secret key file (PREFIX.key_secret, mode 0600), on blinkd's "
                 "security.curve_allowed_clients");
  app.add_flag("--render-ahead", run.render_ahead,
               "Render every exposure before sending the first, so that rendering does not share "
               "the CPU with the receiver (latency benchmarks; holds all of them in memory)");
  app.add_flag("--quiet", run.quiet, "No per-exposure progress lines");
  CLI11_PARSE(app, argc, argv);

  config.width = width > 0 ? width : size;
  config.height = height > 0 ? height : size;
  if (Status s = blink::sim::validate(config); !s) {
    std::cerr << "blink-sim: " << s.message() << "\n";
    return 1;
  }
  if (no_publish && run.out_dir.empty() && run.truth_path.empty()) {
    std::cerr << "blink-sim: --no-publish without --out or --truth would produce nothing\n";
    return 1;
  }
  if (connect_timeout_s <= 0 || send_timeout_s <= 0) {
    std::cerr << "blink-sim: timeouts must be positive\n";
    return 1;
  }
  if (push.curve_server_key_file.empty() != push.curve_client_key_file.empty()) {
    std::cerr << "blink-sim: --curve-server-key and --curve-client-key go together\n";
    return 1;
  }
  push.connect_timeout_ms = int(connect_timeout_s * 1000);
  push.send_timeout_ms = int(send_timeout_s * 1000);

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);

  std::unique_ptr<ZmqPushSink> sink;
  if (!no_publish) {
    sink = std::make_unique<ZmqPushSink>(push);
    if (Status s = sink->connect(); !s) {
      std::cerr << "blink-sim: " << s.message() << "\n";
      return 1;
    }
  }

  blink::sim::SurveySimulator sim(config);
  if (!run.quiet) {
    std::cerr << "blink-sim: seed " << config.seed << ", " << sim.total_exposures()
              << " exposures of " << config.width << "x" << config.height
              << (no_publish ? ", not publishing" : ", pushing to " + push.endpoint) << "\n";
  }
  blink::sim::RunSummary summary;
  Status status = blink::sim::run_survey(sim, run, sink.get(), std::cerr, summary, &g_stop);
  if (sink) {
    // After a failure the receiver is gone; after an interrupt the user wants
    // out. Only a clean run waits for its queued exposures to be delivered.
    if (!run.quiet && status)
      std::cerr << "blink-sim: waiting for the receiver to take the queued exposures\n";
    sink->close(status ? push.linger_ms : 0);
  }
  if (!run.quiet || !status)
    std::cerr << "blink-sim: " << blink::sim::format_summary(summary) << "\n";
  if (!status) {
    std::cerr << "blink-sim: " << status.message() << "\n";
    return exit_code_for(status);
  }
  return 0;
}
