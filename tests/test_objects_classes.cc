// Objects, history, classes, anomaly and routing policy through the real
// blinkd fed a simulated night by the real blink-sim: transients seen in
// every epoch become one object each with a growing light curve, and come
// out as supernova-like or nuclear, not as moving objects.
#include <catch2/catch.hpp>

#include <zmq.hpp>

#include <cmath>
#include <map>

#include "daemon_fixture.h"
#include "truth_csv.h"

using namespace blink::testing;
using namespace std::chrono_literals;
using Json = nlohmann::json;

TEST_CASE("objects: a night's transients become objects with history, classes and routes", "[objects][e2e]") {
  DaemonFixture d;
  // A small anomaly window so that the forest is fitted within the night, and
  // thresholds for this field so that their reason is visible.
  d.write_config(
      "[routing]\noverrides = \"F0001/r=0.85/0.2\"\nanomaly_threshold = 0.999\n"
      "[anomaly]\nmin_candidates = 20\n");
  REQUIRE(d.start());

  zmq::context_t ctx;
  zmq::socket_t sub(ctx, zmq::socket_type::sub);
  sub.set(zmq::sockopt::subscribe, "candidate.");
  sub.set(zmq::sockopt::rcvtimeo, 200);
  sub.connect("tcp://127.0.0.1:" + std::to_string(d.alerts_port()));
  std::this_thread::sleep_for(300ms);

  const int epochs = 4;
  Child sim({d.bin() + "/tools/blink-sim", "--seed", "11", "--fields", "1", "--epochs", std::to_string(epochs),
             "--size", "768", "--endpoint", "tcp://127.0.0.1:" + std::to_string(d.ingest_port()), "--truth",
             (d.dir() / "truth.csv").string(), "--quiet"},
            (d.dir() / "sim.log").string());
  REQUIRE(sim.wait(120s) == 0);
  INFO(d.log());
  REQUIRE(d.wait_processed(epochs + 1, 180s));

  std::map<std::string, std::vector<Json>> by_exposure;
  for (int idle = 0; idle < 5;) {
    zmq::message_t topic, body;
    if (!(sub.recv(topic) && sub.recv(body))) {
      ++idle;
      continue;
    }
    Json j = Json::parse(body.to_string());
    if (j.contains("exposure_id")) by_exposure[j["exposure_id"].get<std::string>()].push_back(j);
  }
  REQUIRE(by_exposure.size() == size_t(epochs));

  // Every candidate says what it probably is and why it went where it went.
  for (const auto& [exposure, list] : by_exposure)
    for (const Json& c : list) {
      double sum = 0;
      for (const auto& [name, p] : c.at("classes").items()) sum += p.get<double>();
      CHECK(sum == Approx(1.0).epsilon(1e-6));
      CHECK(c.at("classes").contains(c.at("class").get<std::string>()));
      CHECK(c.at("object").at("object_id").is_string());
      const std::string reason = c.at("route_reason");
      CHECK((reason.find("(thresholds for F0001/r)") != std::string::npos ||
             reason.rfind("anomaly ", 0) == 0));
    }

  // Each transient of the field matched in every epoch: one object, whose
  // detections grow by one per epoch, classified as the transient it is.
  auto truth = read_truth(d.dir() / "truth.csv");
  auto match = [&](const TruthRow& t) -> const Json* {
    for (const Json& c : by_exposure[t.exposure_id])
      if (std::hypot(c["x"].get<double>() - t.x, c["y"].get<double>() - t.y) < 1.5) return &c;
    return nullptr;
  };
  std::map<std::pair<long, long>, std::vector<const Json*>> by_position;  // by rounded sky position
  int transients = 0, right_class = 0, movers = 0, movers_right = 0;
  for (const TruthRow& t : truth) {
    const Json* c = match(t);
    if (!c) continue;
    const std::string cls = (*c)["class"];
    if (t.kind.rfind("transient", 0) == 0 && (*c)["real_bogus"].get<double>() >= 0.5) {
      by_position[{std::lround(t.ra * 3600), std::lround(t.dec * 3600)}].push_back(c);
      ++transients;
      right_class += cls == (t.kind == "transient_nuclear" ? "nuclear" : "supernova");
    }
    if (t.kind == "moving" && t.exposure_id.find("-e001") == std::string::npos &&
        (*c)["real_bogus"].get<double>() >= 0.5) {
      ++movers;
      movers_right += cls == "moving";
    }
  }
  int objects_seen_every_epoch = 0;
  for (const auto& [position, detections] : by_position) {
    if (detections.size() != size_t(epochs)) continue;
    ++objects_seen_every_epoch;
    const std::string id = (*detections[0])["object"]["object_id"];
    for (size_t k = 0; k < detections.size(); ++k) {
      const Json& o = (*detections[k])["object"];
      CHECK(o["object_id"] == id);
      CHECK(o["previous_detections"].size() == k);
      CHECK(o["new"].get<bool>() == (k == 0));
      CHECK((*detections[k])["class"] != "moving");
    }
  }
  CHECK(objects_seen_every_epoch >= 3);
  CHECK(transients > 0);
  CHECK(right_class >= 0.6 * transients);
  if (movers > 0) CHECK(movers_right >= 0.5 * movers);

  // A new object after the first epoch carries the limits of the exposures before it.
  bool limits_seen = false;
  for (const auto& [exposure, list] : by_exposure)
    for (const Json& c : list)
      if (c["object"]["new"].get<bool>() && !c["object"]["non_detections"].empty()) {
        limits_seen = true;
        for (const Json& n : c["object"]["non_detections"]) CHECK(n["limiting_mag"].get<double>() > 15);
      }
  CHECK(limits_seen);

  // The anomaly forest was fitted during the night, and the classes counted.
  CHECK(d.log().find("isolation forest fitted") != std::string::npos);
  const std::string metrics = d.metrics();
  CHECK(metric_value(metrics, "blink_candidates_classified_total", "supernova") > 0);
}
