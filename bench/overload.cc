// overload_bench: blinkd under more input than it can process (issue 7,
// item 2). Starts a real blinkd per phase on free loopback ports, renders a
// small simulated night once (blink_sim), and then
//   1. capacity: pushes science exposures as fast as blinkd accepts them and
//      measures how many it completes per second (the slope over the second half);
//   2. pull: PUSHes at `--factor` times that rate for `--seconds` (blinkd pushes back);
//   3. sub:  PUBlishes at the same rate to blinkd's SUB socket (blinkd drops
//      and counts: queue full, memory budget, or gaps in "seq").
// Meanwhile it samples blinkd's resident memory (/proc/PID/status) four times
// a second; after each run it waits until blinkd is idle and reports peak
// memory (VmHWM) against pipeline.max_memory_bytes, exposures sent,
// accepted, completed and shed (from blinkd's metrics), and writes an SVG of
// memory over time. bench/overload.sh runs it.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <zmq.hpp>

#include "charts.h"
#include "http_client.h"
#include "survey.h"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

int free_port() {
  zmq::context_t ctx;
  zmq::socket_t s(ctx, zmq::socket_type::rep);
  s.bind("tcp://127.0.0.1:*");
  std::string ep = s.get(zmq::sockopt::last_endpoint);
  return std::stoi(ep.substr(ep.rfind(':') + 1));
}

// "VmRSS"/"VmHWM" of a process, in MiB; 0 when gone.
double proc_mib(pid_t pid, const std::string& key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key + ":", 0) != 0) continue;
    return std::atof(line.c_str() + key.size() + 1) / 1024.0;
  }
  return 0;
}

// The first sample of `name` whose labels contain `labels` in Prometheus text; 0 if none.
double metric(const std::string& text, const std::string& name, const std::string& labels = "") {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(name, 0) != 0 || line.size() <= name.size()) continue;
    if (line[name.size()] != '{' && line[name.size()] != ' ') continue;
    if (!labels.empty() && line.find(labels) == std::string::npos) continue;
    return std::atof(line.c_str() + line.rfind(' ') + 1);
  }
  return 0;
}

struct Exposure {
  nlohmann::ordered_json envelope;
  std::shared_ptr<std::vector<uint8_t>> fits;
};

// A blinkd on free ports with its own state folder; SIGTERM on destruction.
class Daemon {
 public:
  Daemon(const std::string& binary, const fs::path& dir, const std::string& mode,
         const std::string& ingest_endpoint, int workers, int64_t max_memory)
      : dir_(dir), http_(free_port()), metrics_(free_port()) {
    fs::create_directories(dir);
    std::ofstream(dir / "blink.toml")
        << "[ingest]\nmode = \"" << mode << "\"\nendpoint = \"" << ingest_endpoint << "\"\n"
        << "[alerts]\nendpoint = \"tcp://127.0.0.1:" << free_port() << "\"\n"
        << "[http]\nlisten = \"127.0.0.1:" << http_ << "\"\n"
        << "[metrics]\nlisten = \"127.0.0.1:" << metrics_ << "\"\n"
        << "[state]\ndir = \"" << (dir / "state").string() << "\"\n"
        << "[pipeline]\nworkers = " << workers << "\nmax_memory_bytes = " << max_memory << "\n";
    std::string log = (dir / "blinkd.log").string(), config = (dir / "blink.toml").string();
    std::vector<std::string> argv{binary, "--config", config};
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (posix_spawn(&pid_, binary.c_str(), &fa, nullptr, args.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
  }
  ~Daemon() { stop(); }
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 600 && ::waitpid(pid_, nullptr, WNOHANG) == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  bool wait_ready() {
    for (int i = 0; i < 600; ++i) {
      auto r = blink::http_call(http(), {"GET", "/readyz", {}, ""});
      if (r && r->status == 200) return true;
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  nlohmann::json status() const {
    auto r = blink::http_call(http(), {"GET", "/api/v1/status", {}, ""});
    if (!r || r->status != 200) return {};
    return nlohmann::json::parse(r->body, nullptr, false);
  }
  std::string metrics() const {
    auto r = blink::http_call("127.0.0.1:" + std::to_string(metrics_), {"GET", "/metrics", {}, ""});
    return r && r->status == 200 ? r->body : "";
  }
  // Waits until nothing is queued or in flight; false after `seconds`.
  bool wait_idle(int seconds) {
    for (int i = 0; i < seconds * 5; ++i) {
      auto s = status();
      if (s.is_object() && s["queue_depth"] == 0 && s["in_flight"] == 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return false;
  }
  pid_t pid() const { return pid_; }
  std::string http() const { return "127.0.0.1:" + std::to_string(http_); }

 private:
  fs::path dir_;
  int http_, metrics_;
  pid_t pid_ = -1;
};

// blinkd's resident memory four times a second, on its own thread.
class MemorySampler {
 public:
  explicit MemorySampler(pid_t pid) : pid_(pid), t0_(Clock::now()), thread_([this] { run(); }) {}
  ~MemorySampler() {
    stop_ = true;
    thread_.join();
  }
  std::vector<std::pair<double, double>> samples() {
    std::lock_guard lock(mutex_);
    return samples_;
  }
  double last_mib() {
    std::lock_guard lock(mutex_);
    return samples_.empty() ? 0 : samples_.back().second;
  }

 private:
  void run() {
    while (!stop_) {
      double rss = proc_mib(pid_, "VmRSS");
      {
        std::lock_guard lock(mutex_);
        samples_.emplace_back(since(t0_), rss);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  }
  pid_t pid_;
  Clock::time_point t0_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::vector<std::pair<double, double>> samples_;
  std::thread thread_;
};

// Sends exposures: PUSH connected to blinkd (blocks when blinkd pushes back)
// or PUB bound for blinkd's SUB (never blocks; drops beyond its mark).
class Feeder {
 public:
  Feeder(bool pub, const std::string& endpoint) : pub_(pub), socket_(ctx_, pub ? zmq::socket_type::pub : zmq::socket_type::push) {
    socket_.set(zmq::sockopt::sndhwm, pub ? 4 : 1);
    socket_.set(zmq::sockopt::linger, 0);
    if (pub) {
      socket_.bind(endpoint);
    } else {
      socket_.connect(endpoint);
    }
  }
  // False when PUB dropped it at once (not counted as sent by ZeroMQ).
  bool send(const Exposure& e, const std::string& id, uint64_t seq) {
    nlohmann::ordered_json env = e.envelope;
    env["exposure_id"] = id;
    env["seq"] = seq;
    std::string text = env.dump();
    auto* keep = new std::shared_ptr<std::vector<uint8_t>>(e.fits);
    zmq::message_t body((*keep)->data(), (*keep)->size(),
                        [](void*, void* hint) {
                          delete static_cast<std::shared_ptr<std::vector<uint8_t>>*>(hint);
                        },
                        keep);
    const auto flags = pub_ ? zmq::send_flags::dontwait : zmq::send_flags::none;
    if (!socket_.send(zmq::buffer(text), flags | zmq::send_flags::sndmore)) return false;
    return socket_.send(body, flags).has_value();
  }

 private:
  bool pub_;
  zmq::context_t ctx_;
  zmq::socket_t socket_;
};

struct RunResult {
  std::string name;
  double seconds = 0, rate = 0, peak_mib = 0;
  uint64_t sent = 0;
  double received = 0, accepted = 0, completed = 0, rejected = 0, shed_queue = 0, shed_memory = 0,
         shed_gap = 0, waited_s = 0;
  bool idle = false;
  std::vector<std::pair<double, double>> memory;
};

struct Options {
  std::string blinkd, out_dir = ".";
  int size = 1024, workers = 2, seconds = 60, capacity_seconds = 40, epochs = 6;
  double factor = 3, capacity = 0;
  int64_t max_memory = int64_t(2) << 30;
  std::vector<std::string> modes{"pull", "sub"};
};

// One run: a fresh blinkd, references, then science at `rate` per second
// (0: as fast as accepted) for `seconds`.
RunResult run(const Options& o, const std::string& name, const std::string& mode, double rate,
              int seconds, const std::vector<Exposure>& references,
              const std::vector<Exposure>& science, double* capacity_out) {
  const bool sub = mode == "sub";
  const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(free_port());
  std::unique_ptr<Feeder> feeder;
  if (sub) feeder = std::make_unique<Feeder>(true, endpoint);  // the camera binds first
  Daemon daemon(o.blinkd, fs::path(o.out_dir) / ("overload-" + name), mode, endpoint, o.workers,
                o.max_memory);
  RunResult r;
  r.name = name;
  if (!daemon.wait_ready()) {
    std::cerr << "overload: blinkd did not start; see " << o.out_dir << "/overload-" << name
              << "/blinkd.log\n";
    std::exit(1);
  }
  if (!sub) feeder = std::make_unique<Feeder>(false, endpoint);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // SUB has connected
  uint64_t seq = 0;
  for (const auto& e : references) feeder->send(e, e.envelope["exposure_id"], ++seq);
  for (int i = 0; i < 600 && daemon.status().value("references", nlohmann::json(0)).is_number() &&
                  daemon.status()["references"].get<int>() < int(references.size());
       ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));

  MemorySampler sampler(daemon.pid());
  const auto t0 = Clock::now();
  std::vector<std::pair<double, double>> processed_at;  // (t, science processed)
  double last_report = -5;
  uint64_t n = 0;
  auto processed_now = [&] {
    return metric(daemon.metrics(), "blink_exposures_processed_total", "kind=\"science\"");
  };
  while (since(t0) < seconds) {
    if (rate > 0) {
      auto due = t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(n / rate));
      std::this_thread::sleep_until(due);
    }
    const Exposure& e = science[n % science.size()];
    if (feeder->send(e, name + "-" + std::to_string(n + 1), ++seq)) ++r.sent;
    ++n;
    if (since(t0) - last_report >= 5) {
      last_report = since(t0);
      std::string m = daemon.metrics();
      double done = metric(m, "blink_exposures_processed_total", "kind=\"science\"");
      processed_at.emplace_back(last_report, done);
      std::fprintf(stderr,
                   "[%s] %3.0f s  sent %llu  completed %.0f  queue %.0f  memory %.0f MiB  shed "
                   "%.0f  ingest waited %.1f s\n",
                   name.c_str(), last_report, (unsigned long long)r.sent, done,
                   metric(m, "blink_queue_depth"), sampler.last_mib(),
                   metric(m, "blink_exposures_shed_total", "queue_full") +
                       metric(m, "blink_exposures_shed_total", "memory") +
                       metric(m, "blink_exposures_shed_total", "sequence_gap"),
                   metric(m, "blink_ingest_wait_seconds_total"));
    }
  }
  r.seconds = since(t0);
  r.rate = r.sent / r.seconds;
  processed_at.emplace_back(r.seconds, processed_now());
  feeder.reset();  // PUSH: what is still queued here is not sent
  if (capacity_out) {
    // The slope over the second half: the pipeline is warm and the queue full.
    auto& [t1, p1] = processed_at.back();
    std::pair<double, double> mid = processed_at.front();
    for (auto& s : processed_at)
      if (s.first <= t1 / 2) mid = s;
    *capacity_out = (p1 - mid.second) / std::max(1e-9, t1 - mid.first);
  }
  std::fprintf(stderr, "[%s] sending done; waiting for blinkd to finish what it accepted\n",
               name.c_str());
  r.idle = daemon.wait_idle(600);
  // The last message may still be in intake (counted as received, not yet
  // queued) when blinkd first looks idle: wait until the counts settle.
  std::string m;
  for (int i = 0; i < 100; ++i) {
    m = daemon.metrics();
    double settled = metric(m, "blink_exposures_received_total", "kind=\"science\"") -
                     metric(m, "blink_exposures_processed_total", "kind=\"science\"") -
                     metric(m, "blink_exposures_shed_total", "queue_full") -
                     metric(m, "blink_exposures_shed_total", "memory");
    for (const char* reason : {"bad_envelope", "bad_frames", "oversized", "bad_fits", "bad_wcs",
                               "bad_pixels", "no_reference", "duplicate", "pipeline_error"})
      settled -= metric(m, "blink_exposures_rejected_total", std::string("reason=\"") + reason);
    if (settled <= 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    daemon.wait_idle(60);
  }
  r.received = metric(m, "blink_exposures_received_total", "kind=\"science\"");
  r.completed = metric(m, "blink_exposures_processed_total", "kind=\"science\"");
  for (const char* reason : {"bad_envelope", "bad_frames", "oversized", "bad_fits", "bad_wcs",
                             "bad_pixels", "no_reference", "duplicate", "pipeline_error"})
    r.rejected += metric(m, "blink_exposures_rejected_total", std::string("reason=\"") + reason);
  r.shed_queue = metric(m, "blink_exposures_shed_total", "queue_full");
  r.shed_memory = metric(m, "blink_exposures_shed_total", "memory");
  r.shed_gap = metric(m, "blink_exposures_shed_total", "sequence_gap");
  r.waited_s = metric(m, "blink_ingest_wait_seconds_total");
  r.accepted = r.received - r.rejected - r.shed_queue - r.shed_memory;
  r.peak_mib = proc_mib(daemon.pid(), "VmHWM");
  r.memory = sampler.samples();
  daemon.stop();
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"overload_bench: blinkd at several times its capacity (bench/overload.sh)"};
  app.add_option("--blinkd", o.blinkd, "the blinkd binary")->required();
  app.add_option("--out", o.out_dir, "folder for state, logs, overload.svg and overload.json")
      ->capture_default_str();
  app.add_option("--size", o.size, "image side, pixels")->capture_default_str();
  app.add_option("--workers", o.workers, "pipeline.workers")->capture_default_str();
  app.add_option("--seconds", o.seconds, "length of each overload run")->capture_default_str();
  app.add_option("--capacity-seconds", o.capacity_seconds, "length of the capacity run")
      ->capture_default_str();
  app.add_option("--factor", o.factor, "input rate over capacity")->capture_default_str();
  app.add_option("--capacity", o.capacity, "exposures/s; skips measuring it");
  app.add_option("--max-memory", o.max_memory, "pipeline.max_memory_bytes")->capture_default_str();
  app.add_option("--modes", o.modes, "pull and/or sub")->delimiter(',')->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  fs::create_directories(o.out_dir);

  // One field: a reference and a few science epochs, sent round and round
  // under new exposure ids.
  blink::sim::SimConfig c;
  c.seed = 7;
  c.fields = 1;
  c.epochs = o.epochs;
  c.width = c.height = o.size;
  blink::sim::SurveySimulator sim(c);
  std::vector<Exposure> references, science;
  blink::sim::SimExposure e;
  std::fprintf(stderr, "overload: rendering %d exposures of %dx%d\n", sim.total_exposures(),
               o.size, o.size);
  while (sim.next(e)) {
    auto fits = blink::sim::to_fits(e);
    if (!fits) {
      std::cerr << "overload: " << fits.status().message() << "\n";
      return 1;
    }
    Exposure x{nlohmann::ordered_json::parse(blink::sim::envelope_json(e)),
               std::make_shared<std::vector<uint8_t>>(std::move(*fits))};
    (e.kind == "reference" ? references : science).push_back(std::move(x));
  }

  std::vector<RunResult> results;
  if (o.capacity <= 0) {
    results.push_back(run(o, "capacity", "pull", 0, o.capacity_seconds, references, science,
                          &o.capacity));
    std::fprintf(stderr, "overload: capacity %.2f exposures/s at %dx%d with %d workers\n",
                 o.capacity, o.size, o.size, o.workers);
  }
  const double rate = o.factor * o.capacity;
  for (const std::string& mode : o.modes)
    results.push_back(run(o, mode, mode, rate, o.seconds, references, science, nullptr));

  const double bound_mib = double(o.max_memory) / (1 << 20);
  std::printf("overload: %dx%d, %d workers, capacity %.2f exposures/s, input %.2f/s (%.1fx) for "
              "%d s, bound %.0f MiB\n",
              o.size, o.size, o.workers, o.capacity, rate, o.factor, o.seconds, bound_mib);
  std::printf("%-9s %6s %6s %8s %8s %9s %8s %6s %6s %6s %8s %9s %s\n", "run", "rate/s", "sent",
              "received", "accepted", "completed", "rejected", "shed_q", "shed_m", "gaps",
              "waited_s", "peak_MiB", "within bound");
  nlohmann::ordered_json out;
  out["size"] = o.size;
  out["workers"] = o.workers;
  out["capacity_per_s"] = o.capacity;
  out["input_per_s"] = rate;
  out["bound_mib"] = bound_mib;
  std::vector<blink::plot::Series> series;
  bool ok = true;
  double y_max = bound_mib;
  for (const auto& r : results) {
    const bool within = r.peak_mib <= bound_mib;
    const bool complete = r.idle && r.accepted == r.completed;
    ok = ok && within && complete;
    std::printf("%-9s %6.2f %6llu %8.0f %8.0f %9.0f %8.0f %6.0f %6.0f %6.0f %8.1f %9.0f %s%s\n",
                r.name.c_str(), r.rate, (unsigned long long)r.sent, r.received, r.accepted,
                r.completed, r.rejected, r.shed_queue, r.shed_memory, r.shed_gap, r.waited_s,
                r.peak_mib, within ? "yes" : "NO", complete ? "" : " (accepted != completed!)");
    out["runs"].push_back({{"run", r.name}, {"rate_per_s", r.rate}, {"sent", r.sent},
                           {"received", r.received}, {"accepted", r.accepted},
                           {"completed", r.completed}, {"rejected", r.rejected},
                           {"shed_queue_full", r.shed_queue}, {"shed_memory", r.shed_memory},
                           {"shed_sequence_gap", r.shed_gap}, {"ingest_waited_s", r.waited_s},
                           {"peak_mib", r.peak_mib}});
    blink::plot::Series s{r.name, {}, {}};
    for (auto& [t, m] : r.memory) {
      s.x.push_back(t);
      s.y.push_back(m);
      y_max = std::max(y_max, m);
    }
    series.push_back(std::move(s));
  }
  double t_max = 0;
  for (auto& s : series)
    if (!s.x.empty()) t_max = std::max(t_max, s.x.back());
  series.push_back({"bound (pipeline.max_memory_bytes)", {0, t_max}, {bound_mib, bound_mib}});
  const fs::path svg = fs::path(o.out_dir) / "overload.svg";
  std::ofstream(svg) << blink::plot::line_chart_svg(
      "blinkd resident memory at " + std::to_string(int(o.factor)) + "x capacity (" +
          std::to_string(o.size) + "^2, " + std::to_string(o.workers) + " workers)",
      "seconds", "MiB", series, 0, y_max * 1.1);
  std::ofstream(fs::path(o.out_dir) / "overload.json") << out.dump(2) << "\n";
  std::printf("overload: wrote %s and overload.json\n", svg.string().c_str());
  return ok ? 0 : 3;
}
