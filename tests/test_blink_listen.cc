// blink-listen, the real binary, against a PUB socket of the test's own:
// which messages its filters print and which they skip.
#include <catch2/catch.hpp>
#include <zmq.hpp>

#include "alert_avro.h"
#include "daemon_fixture.h"

using namespace blink::testing;
using namespace std::chrono_literals;
using Json = nlohmann::ordered_json;

namespace {

std::string listen_path() { return std::string(BLINK_BINARY_DIR) + "/tools/blink-listen"; }

// An XPUB socket: it hears each subscription, so the test publishes only once
// blink-listen is listening (a plain PUB would drop the first messages).
class Publisher {
 public:
  Publisher() : socket_(context_, zmq::socket_type::xpub) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.set(zmq::sockopt::rcvtimeo, 100);
    socket_.set(zmq::sockopt::xpub_verbose, 1);  // every subscriber's, not just the first
    port_ = free_port();
    socket_.bind(endpoint());
  }
  std::string endpoint() const { return "tcp://127.0.0.1:" + std::to_string(port_); }
  // True once `n` subscriptions arrived within `timeout`.
  bool wait_subscriptions(int n, std::chrono::milliseconds timeout = 10s) {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (n > 0 && std::chrono::steady_clock::now() < end) {
      zmq::message_t m;
      if (socket_.recv(m) && m.size() > 0 && m.data<uint8_t>()[0] == 1) --n;
    }
    return n == 0;
  }
  void send(const std::string& topic, const std::string& body) {
    socket_.send(zmq::buffer(topic), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(body), zmq::send_flags::none);
  }
  void send(const std::string& topic, const Json& body) { send(topic, body.dump()); }

 private:
  zmq::context_t context_{1};
  zmq::socket_t socket_;
  int port_ = 0;
};

Json alert(const std::string& id, const std::string& field, const std::string& best, double rb) {
  Json classes = {{"supernova", 0.05},
                  {"variable", 0.05},
                  {"moving", 0.05},
                  {"nuclear", 0.05},
                  {"artefact", 0.05}};
  classes[best] = 0.8;
  return {{"schema", "blink.candidate/1"},
          {"candidate_id", id},
          {"field", field},
          {"band", "r"},
          {"ra", 150.5},
          {"dec", -2.25},
          {"mag", 19.5},
          {"real_bogus", rb},
          {"route", rb >= 0.8 ? "alert" : "review"},
          {"classes", classes},
          {"anomaly", 0.4}};
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string line; std::getline(ss, line);) out.push_back(line);
  return out;
}

}  // namespace

TEST_CASE("blink-listen: class, score and field filters print only the matching alerts",
          "[avro][listen]") {
  TempDir tmp;
  Publisher pub;
  Child listener(
      {listen_path(), "--endpoint", pub.endpoint(), "--class", "supernova", "--class", "nuclear",
       "--min-score", "0.9", "--field", "F0001", "--count", "3", "--timeout", "20"},
      (tmp.path() / "out").string());
  REQUIRE(pub.wait_subscriptions(1));
  pub.send("candidate.alert", alert("e1:1", "F0001", "supernova", 0.95));  // printed
  pub.send("candidate.alert", alert("e1:2", "F0002", "supernova", 0.95));  // other field
  pub.send("candidate.alert", alert("e1:3", "F0001", "variable", 0.95));   // other class
  pub.send("candidate.review", alert("e1:4", "F0001", "supernova", 0.5));  // score too low
  pub.send("candidate.alert", alert("e1:5", "F0001", "nuclear", 0.91));    // printed
  pub.send("candidate.alert", std::string("not json"));                    // reported, skipped
  pub.send("candidate.alert", alert("e1:6", "F0001", "supernova", 0.99));  // printed
  REQUIRE(listener.wait(20s) == 0);
  const std::string out = read_text(tmp.path() / "out");
  INFO(out);
  std::vector<std::string> printed;
  for (const std::string& l : lines_of(out))
    if (!l.empty() && std::isdigit(static_cast<unsigned char>(l[0]))) printed.push_back(l);
  REQUIRE(printed.size() == 3);
  CHECK_THAT(printed[0], Catch::Contains("candidate.alert e1:1 F0001 r ra=150.50000 dec=-2.25000 "
                                         "mag=19.50 rb=0.950 class=supernova:0.80 anomaly=0.40 "
                                         "route=alert"));
  CHECK_THAT(printed[1], Catch::Contains(" e1:5 "));
  CHECK_THAT(printed[2], Catch::Contains(" e1:6 "));
  CHECK_THAT(out, Catch::Contains("not a JSON object"));
}

TEST_CASE("blink-listen: --topic verdict subscribes to verdicts only; --json prints the body",
          "[avro][listen]") {
  TempDir tmp;
  Publisher pub;
  Child listener({listen_path(), "--endpoint", pub.endpoint(), "--topic", "verdict", "--json",
                  "--count", "1", "--timeout", "20"},
                 (tmp.path() / "out").string());
  REQUIRE(pub.wait_subscriptions(1));
  pub.send("candidate.alert", alert("e2:1", "F0001", "supernova", 0.95));
  pub.send("candidate.verdict", Json{{"schema", "blink.verdict/1"},
                                     {"candidate_id", "e2:7"},
                                     {"field", "F0001"},
                                     {"verdict", "real"},
                                     {"posterior", 0.995}});
  REQUIRE(listener.wait(20s) == 0);
  const auto lines = lines_of(read_text(tmp.path() / "out"));
  REQUIRE(lines.size() == 1);
  Json printed = Json::parse(lines[0]);
  CHECK(printed["candidate_id"] == "e2:7");
  CHECK(printed["verdict"] == "real");
}

TEST_CASE("blink-listen: --avro decodes the Avro packets and ignores the JSON topics",
          "[avro][listen]") {
  blink::RoutedCandidate r;
  r.candidate_id = "e3:4";
  r.route = blink::Route::kAlert;
  r.measured.real_bogus = 0.97;
  r.measured.mag = 18.25;
  r.classes.p = {0.1, 0.7, 0.1, 0.05, 0.05};
  auto t = std::make_shared<blink::CutoutTriplet>();
  t->size = 63;
  t->science = t->reference = t->difference = std::vector<float>(63 * 63, 1.0f);
  r.cutouts = t;
  blink::Envelope e;
  e.exposure_id = "e3";
  e.field = "F0009";
  e.band = "g";
  auto packet = blink::encode_alert_avro(e, "zogy", r);
  REQUIRE(packet);

  TempDir tmp;
  Publisher pub;
  Child lines_listener({listen_path(), "--endpoint", pub.endpoint(), "--avro", "--class",
                        "variable", "--count", "1", "--timeout", "20"},
                       (tmp.path() / "lines").string());
  Child json_listener({listen_path(), "--endpoint", pub.endpoint(), "--avro", "--json", "--count",
                       "1", "--timeout", "20"},
                      (tmp.path() / "json").string());
  REQUIRE(pub.wait_subscriptions(2));
  pub.send("candidate.alert", alert("e3:1", "F0009", "variable", 0.99));  // JSON: not subscribed
  pub.send("avro.candidate.alert", *packet);
  REQUIRE(lines_listener.wait(20s) == 0);
  REQUIRE(json_listener.wait(20s) == 0);

  const auto lines = lines_of(read_text(tmp.path() / "lines"));
  REQUIRE(lines.size() == 1);
  CHECK_THAT(lines[0], Catch::Contains("avro.candidate.alert e3:4 F0009 g "));
  CHECK_THAT(lines[0], Catch::Contains("mag=18.25 rb=0.970 class=variable:0.70"));
  const auto json_lines = lines_of(read_text(tmp.path() / "json"));
  REQUIRE(json_lines.size() == 1);
  Json a = Json::parse(json_lines[0]);
  CHECK(a["candid"] == "e3:4");
  CHECK(a["candidate"]["field"] == "F0009");
  // The FITS bytes are shown by their size.
  CHECK_THAT(a["cutoutScience"]["stampData"].get<std::string>(), Catch::Matches("<[0-9]+ bytes>"));
}

TEST_CASE("blink-listen: --timeout before --count alerts is exit code 2", "[avro][listen]") {
  TempDir tmp;
  Publisher pub;
  Child listener({listen_path(), "--endpoint", pub.endpoint(), "--field", "F0001", "--count", "2",
                  "--timeout", "1.5"},
                 (tmp.path() / "out").string());
  REQUIRE(pub.wait_subscriptions(1));
  pub.send("candidate.alert", alert("e4:1", "F0001", "supernova", 0.95));
  pub.send("candidate.alert", alert("e4:2", "F0002", "supernova", 0.95));  // other field
  CHECK(listener.wait(20s) == 2);
  CHECK(lines_of(read_text(tmp.path() / "out")).size() == 1);
}
