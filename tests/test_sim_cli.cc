// The simulator's run loop against an in-memory sink, and the real blink-sim
// binary end to end: files, truth, the ZeroMQ wire protocol and its failures.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <zmq.hpp>

#include "fits_io.h"
#include "run.h"
#include "survey.h"
#include "test_support.h"

using namespace blink;
using namespace blink::sim;
using namespace blink::testing;
using namespace std::chrono_literals;

namespace {

SimConfig tiny_config() {
  SimConfig c;
  c.seed = 4;
  c.fields = 2;
  c.epochs = 2;
  c.width = c.height = 192;
  return c;
}

// Keeps what it is sent; can be told to fail after n exposures.
class MemorySink : public ExposureSink {
 public:
  int fail_after = -1;
  std::vector<std::pair<std::string, std::vector<uint8_t>>> received;
  Status send(const std::string& envelope, std::vector<uint8_t>&& fits) override {
    if (fail_after >= 0 && int(received.size()) >= fail_after)
      return Status::unavailable("receiver gone");
    received.emplace_back(envelope, std::move(fits));
    return Status::ok();
  }
};

std::string sim_binary() { return std::string(BLINK_BINARY_DIR) + "/tools/blink-sim"; }

size_t count_lines(const std::filesystem::path& p) {
  std::ifstream in(p);
  size_t n = 0;
  std::string line;
  while (std::getline(in, line)) ++n;
  return n;
}

}  // namespace

TEST_CASE("sim run: every exposure reaches the sink with matching envelope and FITS", "[sim]") {
  TempDir tmp;
  SurveySimulator sim(tiny_config());
  MemorySink sink;
  RunOptions options;
  options.truth_path = (tmp.path() / "truth.csv").string();
  options.out_dir = (tmp.path() / "fits").string();
  options.quiet = true;
  RunSummary summary;
  std::ostringstream log;
  REQUIRE(run_survey(sim, options, &sink, log, summary).is_ok());
  REQUIRE(int(sink.received.size()) == sim.total_exposures());
  CHECK(summary.references == 2);
  CHECK(summary.science == 4);
  for (const auto& [envelope, fits] : sink.received) {
    auto j = nlohmann::json::parse(envelope);
    auto image = decode_fits(fits.data(), fits.size());
    REQUIRE(image);
    CHECK(image->header.find(j.at("exposure_id").get<std::string>()) != std::string::npos);
    CHECK(std::filesystem::exists(tmp.path() / "fits" /
                                  (j.at("exposure_id").get<std::string>() + ".fits")));
  }
  CHECK(count_lines(tmp.path() / "truth.csv") == summary.truth_rows + 1);
  CHECK(log.str().empty());
}

TEST_CASE("sim run: a failing sink stops the run with its reason", "[sim]") {
  SurveySimulator sim(tiny_config());
  MemorySink sink;
  sink.fail_after = 3;
  RunSummary summary;
  std::ostringstream log;
  Status s = run_survey(sim, RunOptions{}, &sink, log, summary);
  CHECK(s.code() == Status::Code::kUnavailable);
  CHECK(s.message().find("receiver gone") != std::string::npos);
  CHECK(summary.exposures == 3);
  CHECK(log.str().find("[3/6]") != std::string::npos);  // progress lines until the failure
}

TEST_CASE("sim run: science exposures are paced by the interval", "[sim]") {
  SimConfig c = tiny_config();
  c.fields = 1;
  c.epochs = 3;
  SurveySimulator sim(c);
  MemorySink sink;
  RunOptions options;
  options.interval_s = 0.1;
  options.quiet = true;
  RunSummary summary;
  std::ostringstream log;
  const auto start = std::chrono::steady_clock::now();
  REQUIRE(run_survey(sim, options, &sink, log, summary).is_ok());
  // The reference goes at once; each science exposure waits an interval after
  // the send before it, the first one included (its reference is being prepared).
  CHECK(std::chrono::steady_clock::now() - start >= 300ms);
}

TEST_CASE("sim run: rendering ahead sends the same exposures in the same order", "[sim]") {
  SimConfig c = tiny_config();
  c.fields = 2;
  c.epochs = 2;
  auto run = [&](bool ahead) {
    SurveySimulator sim(c);
    MemorySink sink;
    RunOptions options;
    options.quiet = true;
    options.render_ahead = ahead;
    RunSummary summary;
    std::ostringstream log;
    REQUIRE(run_survey(sim, options, &sink, log, summary).is_ok());
    CHECK(summary.exposures == 6);
    return sink.received;
  };
  const auto interleaved = run(false), ahead = run(true);
  REQUIRE(ahead.size() == interleaved.size());
  for (size_t i = 0; i < ahead.size(); ++i) {
    CHECK(ahead[i].first == interleaved[i].first);
    CHECK(ahead[i].second == interleaved[i].second);
  }
}

TEST_CASE("sim cli: writes FITS files and truth without publishing", "[sim][cli]") {
  TempDir tmp;
  Child sim({sim_binary(), "--seed", "3", "--fields", "1", "--epochs", "2", "--size", "256",
             "--no-publish", "--out", (tmp.path() / "out").string(), "--truth",
             (tmp.path() / "truth.csv").string()},
            (tmp.path() / "log").string());
  REQUIRE(sim.pid() > 0);
  REQUIRE(sim.wait(30s) == 0);
  CHECK(std::filesystem::exists(tmp.path() / "out" / "s3-F0001-r-0-ref.fits"));
  CHECK(std::filesystem::exists(tmp.path() / "out" / "s3-F0001-r-0-e002.fits"));
  auto fits = read_fits_file((tmp.path() / "out" / "s3-F0001-r-0-e001.fits").string());
  REQUIRE(fits);
  CHECK(fits->image.width == 256);
  CHECK(count_lines(tmp.path() / "truth.csv") > 10);
  const std::string log = read_text(tmp.path() / "log");
  CHECK(log.find("s3-F0001-r-0-e001 science") != std::string::npos);
  CHECK(log.find("3 exposures") != std::string::npos);
}

TEST_CASE("sim cli: refuses a bad option with a message and a non-zero exit", "[sim][cli]") {
  TempDir tmp;
  Child sim({sim_binary(), "--bands", "r,Q", "--no-publish", "--out", tmp.path().string()},
            (tmp.path() / "log").string());
  CHECK(sim.wait(30s) == 1);
  CHECK(read_text(tmp.path() / "log").find("unknown band 'Q'") != std::string::npos);
}

TEST_CASE("sim cli: pushes two-frame exposures to a PULL socket", "[sim][cli]") {
  TempDir tmp;
  zmq::context_t ctx;
  zmq::socket_t pull(ctx, zmq::socket_type::pull);
  pull.set(zmq::sockopt::rcvtimeo, 20000);
  const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(free_port());
  pull.bind(endpoint);
  Child sim({sim_binary(), "--seed", "6", "--fields", "2", "--epochs", "1", "--size", "192",
             "--endpoint", endpoint, "--compress", "--quiet"},
            (tmp.path() / "log").string());
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) {
    zmq::message_t envelope, body;
    REQUIRE(pull.recv(envelope));
    REQUIRE(pull.get(zmq::sockopt::rcvmore));
    REQUIRE(pull.recv(body));
    CHECK_FALSE(pull.get(zmq::sockopt::rcvmore));
    auto j = nlohmann::json::parse(envelope.to_string());
    CHECK(j.at("schema") == "blink.exposure/1");
    ids.push_back(j.at("exposure_id").get<std::string>());
    auto fits = decode_fits(body.data(), body.size());
    REQUIRE(fits);
    CHECK(fits->magzp.has_value());
  }
  CHECK(sim.wait(30s) == 0);
  CHECK(ids == std::vector<std::string>{"s6-F0001-r-0-ref", "s6-F0002-r-0-ref", "s6-F0001-r-0-e001",
                                        "s6-F0002-r-0-e001"});
}

TEST_CASE("sim cli: says so when nobody is listening", "[sim][cli]") {
  TempDir tmp;
  const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(free_port());
  Child sim({sim_binary(), "--size", "128", "--fields", "1", "--epochs", "1", "--endpoint",
             endpoint, "--connect-timeout", "0.5"},
            (tmp.path() / "log").string());
  CHECK(sim.wait(30s) == 2);
  CHECK(read_text(tmp.path() / "log").find("no receiver at " + endpoint) != std::string::npos);
}

TEST_CASE("sim cli: an interrupt while blocked on the receiver exits promptly", "[sim][cli]") {
  TempDir tmp;
  const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(free_port());
  Child sim({sim_binary(), "--size", "128", "--endpoint", endpoint, "--connect-timeout", "60"},
            (tmp.path() / "log").string());
  std::this_thread::sleep_for(500ms);
  sim.signal(SIGINT);
  CHECK(sim.wait(10s) == 130);
  CHECK(read_text(tmp.path() / "log").find("interrupted") != std::string::npos);
}
