// api_load: the volunteer API under load. Signs up V volunteers against a
// running blinkd, then runs V virtual volunteers at once for a fixed time,
// each looping GET /api/v1/next -> (think) -> POST /api/v1/classifications
// with a random answer, and prints per-endpoint latency percentiles,
// throughput and error counts. Progress goes to stderr.
//
//   api_load --url http://127.0.0.1:8080 --volunteers 200 --seconds 30
//
// One thread per volunteer, each with one request in flight (a closed loop,
// as people are): with no think time, latency is the daemon's queueing delay
// at this concurrency. Every request opens a connection, as blinkd answers
// "Connection: close". The generator runs on the same machine as blinkd and
// takes CPU from it; its own CPU use is printed so the figures can be read
// with that in mind. bench/api_load.sh starts a blinkd with subjects for it.
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "http_client.h"

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// What one endpoint saw: latencies (ms) of answered requests, answers by
// HTTP status, and transport failures (no answer at all).
struct EndpointLog {
  std::vector<double> ms;
  std::map<int, long> by_status;
  long transport_errors = 0;

  void merge(const EndpointLog& o) {
    ms.insert(ms.end(), o.ms.begin(), o.ms.end());
    for (auto [code, n] : o.by_status) by_status[code] += n;
    transport_errors += o.transport_errors;
  }
};

// One virtual volunteer's logs; only its own thread writes them until joined.
struct VolunteerLog {
  EndpointLog next, classify, cutout;
  long empty_queue = 0;  // `next` answered {"subject": null}
};

struct Options {
  std::string host_port;
  int volunteers = 200;
  double seconds = 30;
  double think_ms = 0;
  double odd_share = 0.05;
  bool cutouts = false;
  uint64_t seed = 1;
  int timeout_ms = 10000;
};

// "http://HOST:PORT[/...]" or "HOST:PORT" -> "HOST:PORT".
std::string host_port_of(std::string url) {
  if (auto p = url.find("://"); p != std::string::npos) url = url.substr(p + 3);
  if (auto p = url.find('/'); p != std::string::npos) url = url.substr(0, p);
  return url;
}

// Sends one request and logs its latency under `log`; the reply, or nullopt
// on a transport failure.
std::optional<blink::HttpReply> timed_call(const Options& o, const blink::ClientRequest& request,
                                           EndpointLog& log) {
  const auto t0 = Clock::now();
  auto reply = blink::http_call(o.host_port, request, milliseconds(o.timeout_ms));
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  if (!reply) {
    ++log.transport_errors;
    return std::nullopt;
  }
  log.ms.push_back(ms);
  ++log.by_status[reply->status];
  return *reply;
}

// Signs up `n` volunteers one after another; their tokens (fewer on errors).
std::vector<std::string> sign_up(const Options& o, int n, EndpointLog& log) {
  std::vector<std::string> tokens;
  for (int i = 0; i < n; ++i) {
    blink::ClientRequest r{
        "POST", "/api/v1/volunteers", {{"Content-Type", "application/json"}}, ""};
    r.body = nlohmann::json{{"display_name", "load " + std::to_string(i + 1)}}.dump();
    auto reply = timed_call(o, r, log);
    if (!reply || reply->status != 201) continue;
    auto j = nlohmann::json::parse(reply->body, nullptr, false);
    if (j.is_object() && j["token"].is_string()) tokens.push_back(j["token"]);
  }
  return tokens;
}

// Waits about `mean_ms` (exponentially distributed, as gaps between people's
// clicks are), or not at all for 0; never past `deadline`.
void think(double mean_ms, std::mt19937_64& rng, Clock::time_point deadline) {
  if (mean_ms <= 0) return;
  const double ms = std::exponential_distribution<double>(1 / mean_ms)(rng);
  std::this_thread::sleep_until(
      std::min(deadline, Clock::now() + std::chrono::microseconds(int64_t(ms * 1000))));
}

// One volunteer until `deadline`: next, look, classify, again.
void volunteer_loop(const Options& o, const std::string& token, uint64_t seed,
                    Clock::time_point deadline, std::atomic<long>& done, VolunteerLog& log) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  const std::pair<std::string, std::string> auth{"Authorization", "Bearer " + token};
  think(o.think_ms, rng, deadline);  // people do not all arrive in the same millisecond
  while (Clock::now() < deadline) {
    auto reply = timed_call(o, {"GET", "/api/v1/next", {auth}, ""}, log.next);
    done.fetch_add(1, std::memory_order_relaxed);
    if (!reply || reply->status != 200) {
      think(std::max(o.think_ms, 100.0), rng, deadline);  // do not spin on errors
      continue;
    }
    auto j = nlohmann::json::parse(reply->body, nullptr, false);
    if (!j.is_object() || !j["subject"].is_object()) {
      ++log.empty_queue;
      think(std::max(o.think_ms, 1000.0), rng, deadline);  // the page would wait too
      continue;
    }
    const std::string id = j["subject"].value("candidate_id", "");
    if (o.cutouts)  // what the page loads before the volunteer can answer
      for (const char* kind : {"science", "reference", "difference"})
        if (auto path = j["subject"]["cutouts"][kind]; path.is_string())
          timed_call(o, {"GET", path.get<std::string>(), {}, ""}, log.cutout);
    think(o.think_ms, rng, deadline);
    if (Clock::now() >= deadline) break;  // a vote cut short is not measured
    const double a = u(rng);
    const char* answer = a < o.odd_share ? "odd" : a < (1 + o.odd_share) / 2 ? "real" : "bogus";
    blink::ClientRequest r{"POST",
                           "/api/v1/classifications",
                           {auth, {"Content-Type", "application/json"}},
                           nlohmann::json{{"candidate_id", id}, {"answer", answer}}.dump()};
    timed_call(o, r, log.classify);
    done.fetch_add(1, std::memory_order_relaxed);
  }
}

// Nearest-rank quantile of a sorted, non-empty list.
double quantile(const std::vector<double>& sorted, double q) {
  const size_t rank = size_t(std::ceil(q * double(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

void print_row(const char* name, EndpointLog log, double seconds) {
  std::sort(log.ms.begin(), log.ms.end());
  std::printf("%-16s %8zu %8.1f", name, log.ms.size(), double(log.ms.size()) / seconds);
  double sum = 0;
  for (double ms : log.ms) sum += ms;
  if (log.ms.empty())
    std::printf(" %8s %8s %8s %8s %8s", "-", "-", "-", "-", "-");
  else
    std::printf(" %8.2f %8.2f %8.2f %8.2f %8.2f", sum / double(log.ms.size()),
                quantile(log.ms, 0.5), quantile(log.ms, 0.95), quantile(log.ms, 0.99),
                log.ms.back());
  std::string codes;
  for (auto [code, n] : log.by_status)
    codes += " " + std::to_string(code) + ":" + std::to_string(n);
  if (log.transport_errors) codes += " no-answer:" + std::to_string(log.transport_errors);
  std::printf("  %s\n", codes.c_str());
}

double cpu_seconds() {
  rusage r{};
  getrusage(RUSAGE_SELF, &r);
  return double(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
         1e-6 * double(r.ru_utime.tv_usec + r.ru_stime.tv_usec);
}

double p99_of(EndpointLog log) {
  if (log.ms.empty()) return NAN;
  std::sort(log.ms.begin(), log.ms.end());
  return quantile(log.ms, 0.99);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  std::string url = "http://127.0.0.1:8080";
  CLI::App app{"api_load: latency of blinkd's volunteer API under concurrent volunteers"};
  app.add_option("--url", url, "blinkd's HTTP address");
  app.add_option("--volunteers", o.volunteers, "Concurrent virtual volunteers")
      ->check(CLI::Range(1, 5000));
  app.add_option("--seconds", o.seconds, "How long they classify")->check(CLI::PositiveNumber);
  app.add_option("--think-ms", o.think_ms,
                 "Mean time a volunteer looks at a subject before answering (0: none)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--odd-share", o.odd_share, "Share of \"odd\" answers (the rest real/bogus)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_flag("--cutouts", o.cutouts, "Also fetch the three cutout PNGs of each subject");
  app.add_option("--seed", o.seed, "Seed of the answers and think times");
  app.add_option("--timeout-ms", o.timeout_ms, "Give up on a request after this long")
      ->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);
  o.host_port = host_port_of(url);

  std::fprintf(stderr, "[api_load] signing up %d volunteers at %s\n", o.volunteers,
               o.host_port.c_str());
  EndpointLog signups;
  const std::vector<std::string> tokens = sign_up(o, o.volunteers, signups);
  if (int(tokens.size()) < o.volunteers) {
    std::fprintf(stderr, "[api_load] only %zu of %d sign-ups succeeded; is blinkd at %s?\n",
                 tokens.size(), o.volunteers, url.c_str());
    if (tokens.empty()) return 1;
  }

  std::vector<VolunteerLog> logs(tokens.size());
  std::vector<std::thread> threads;
  std::atomic<long> done{0};
  const double cpu0 = cpu_seconds();
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::microseconds(int64_t(o.seconds * 1e6));
  for (size_t i = 0; i < tokens.size(); ++i)
    threads.emplace_back(volunteer_loop, std::cref(o), std::cref(tokens[i]), o.seed * 1000003 + i,
                         deadline, std::ref(done), std::ref(logs[i]));
  for (long last = 0; Clock::now() < deadline;) {
    std::this_thread::sleep_until(std::min(deadline, Clock::now() + std::chrono::seconds(5)));
    const long now_done = done.load();
    const double t = std::chrono::duration<double>(Clock::now() - start).count();
    std::fprintf(stderr, "[api_load] %5.1f s: %ld requests (%ld in the last interval)\n", t,
                 now_done, now_done - last);
    last = now_done;
  }
  for (std::thread& t : threads) t.join();
  const double wall = std::chrono::duration<double>(Clock::now() - start).count();
  const double cpu = cpu_seconds() - cpu0;

  VolunteerLog all;
  for (const VolunteerLog& l : logs) {
    all.next.merge(l.next);
    all.classify.merge(l.classify);
    all.cutout.merge(l.cutout);
    all.empty_queue += l.empty_queue;
  }
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  std::printf(
      "api_load: %zu volunteers for %.1f s against %s, think time %.0f ms (mean), "
      "one connection per request\n\n",
      tokens.size(), wall, o.host_port.c_str(), o.think_ms);
  std::printf("%-16s %8s %8s %8s %8s %8s %8s %8s  %s\n", "endpoint", "count", "per s", "mean ms",
              "p50 ms", "p95 ms", "p99 ms", "max ms", "answers by HTTP status");
  print_row("GET next", all.next, wall);
  print_row("POST classify", all.classify, wall);
  if (o.cutouts) print_row("GET cutout png", all.cutout, wall);
  print_row("POST volunteers", signups, 1);  // sequential, before the run: rate not meaningful
  std::printf(
      "\n%ld `next` answers had no subject; sign-ups ran one at a time before the timed run.\n",
      all.empty_queue);
  std::printf(
      "load generator CPU: %.1f s over %.1f s wall = %.0f%% of %u cores, taken from blinkd on "
      "the same machine\n",
      cpu, wall, 100 * cpu / (wall * cores), cores);
  const double p99_next = p99_of(all.next), p99_classify = p99_of(all.classify);
  const bool met = p99_next <= 20 && p99_classify <= 20;
  std::printf(
      "goal (next and classify p99 <= 20 ms with %zu volunteers): %s (p99 %.1f / %.1f ms)\n",
      tokens.size(), met ? "met" : "MISSED", p99_next, p99_classify);
  return 0;
}
