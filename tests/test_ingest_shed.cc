// "sub" mode under overload, on a real blinkd: exposures lost on the way
// are counted from gaps in the envelope's "seq", and blinkd reads on rather
// than pushing back (it cannot: PUB never waits), dropping and counting what
// it has no room for.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "daemon_fixture.h"
#include "sim_fixtures.h"

namespace blink::testing {

TEST_CASE("sub mode counts gaps in seq and sheds what does not fit", "[overload]") {
  DaemonFixture d;
  const int camera = free_port();
  zmq::context_t ctx;
  zmq::socket_t pub(ctx, zmq::socket_type::pub);
  pub.set(zmq::sockopt::linger, 0);
  pub.bind("tcp://127.0.0.1:" + std::to_string(camera));
  // One worker and a queue of one: a burst cannot all fit.
  d.write_config("[pipeline]\nworkers = 1\nqueue_size = 1\n");
  std::string config = read_text(d.config());
  config.replace(config.find("[ingest]\n") + 9, 0, "mode = \"sub\"\n");
  config.replace(config.find("tcp://127.0.0.1:" + std::to_string(d.ingest_port())),
                 std::string("tcp://127.0.0.1:" + std::to_string(d.ingest_port())).size(),
                 "tcp://127.0.0.1:" + std::to_string(camera));
  std::ofstream(d.config()) << config;
  REQUIRE(d.start());
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // SUB has connected

  auto exposures = blink::sim::testing::render_all(blink::sim::testing::small_config(9, 256));
  const auto& science = exposures.back();
  auto fits = blink::sim::to_fits(science);
  REQUIRE(fits);
  auto send = [&](uint64_t seq) {
    auto env = nlohmann::json::parse(blink::sim::envelope_json(science));
    env["exposure_id"] = "shed-" + std::to_string(seq);
    env["seq"] = seq;
    std::string text = env.dump();
    REQUIRE(pub.send(zmq::buffer(text), zmq::send_flags::sndmore));
    REQUIRE(pub.send(zmq::buffer(*fits), zmq::send_flags::none));
  };
  // 1, 2, then 5: two lost on the way. Then a burst of 30 with no gap.
  for (uint64_t seq : {1, 2, 5}) send(seq);
  for (uint64_t seq = 6; seq < 36; ++seq) send(seq);

  auto shed = [&](const std::string& reason) {
    return metric_value(d.metrics(), "blink_exposures_shed_total", "reason=\"" + reason + "\"");
  };
  auto received = [&] {
    return metric_value(d.metrics(), "blink_exposures_received_total", "kind=\"science\"");
  };
  for (int i = 0; i < 100 && received() < 33; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(received() == 33);
  CHECK(shed("sequence_gap") == 2);
  // One worker and one queue slot cannot take a burst of 33: most are dropped, and counted.
  CHECK(shed("queue_full") + shed("memory") >= 20);
  REQUIRE(d.wait_processed(0));
  auto s = d.status();
  // Every exposure blinkd received was either dropped (counted) or accepted
  // and then finished (processed, or rejected: these have no reference).
  const int finished = s["exposures"]["processed"].get<int>() + s["exposures"]["rejected"].get<int>();
  CHECK(finished + int(shed("queue_full") + shed("memory")) == 33);
  CHECK_THAT(d.log(), Catch::Contains("overload: dropped"));
}

}  // namespace blink::testing
