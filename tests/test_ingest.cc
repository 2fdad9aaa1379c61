// ZeroMQ in and out on loopback: the ingest socket in both modes, and the
// candidate publisher's topics and sequence numbers.
#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "ingest.h"
#include "publisher.h"
#include "test_support.h"

using namespace blink;
using namespace blink::testing;
using namespace std::chrono_literals;

namespace {

std::string tcp(int port) { return "tcp://127.0.0.1:" + std::to_string(port); }

// Runs an Ingest on a thread and collects what it hands over.
struct Receiver {
  explicit Receiver(std::unique_ptr<Ingest> in) : ingest(std::move(in)) {
    thread = std::thread([this] {
      ingest->run([this](RawMessage m) {
        std::lock_guard lock(mutex);
        messages.push_back(std::move(m));
      });
    });
  }
  ~Receiver() {
    ingest->stop();
    thread.join();
  }
  size_t count() {
    std::lock_guard lock(mutex);
    return messages.size();
  }
  bool wait_for(size_t n, std::chrono::milliseconds timeout = 5s) {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (count() < n && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(5ms);
    return count() >= n;
  }
  std::unique_ptr<Ingest> ingest;
  std::thread thread;
  std::mutex mutex;
  std::vector<RawMessage> messages;
};

}  // namespace

TEST_CASE("ingest: pull mode hands over whole two-frame messages") {
  zmq::context_t ctx;
  const int port = free_port();
  auto ingest = Ingest::open(ctx, {IngestMode::kPull, tcp(port), 1 << 20, 4});
  INFO(ingest.status().message());
  REQUIRE(ingest);
  Receiver rx(std::move(ingest).value());
  zmq::socket_t push(ctx, zmq::socket_type::push);
  push.set(zmq::sockopt::linger, 1000);
  push.connect(tcp(port));
  push.send(zmq::buffer(std::string("{\"schema\":\"x\"}")), zmq::send_flags::sndmore);
  push.send(zmq::buffer(std::string("SIMPLE  = T")), zmq::send_flags::none);
  push.send(zmq::buffer(std::string("a")), zmq::send_flags::sndmore);
  push.send(zmq::buffer(std::string("b")), zmq::send_flags::sndmore);
  push.send(zmq::buffer(std::string("c")), zmq::send_flags::none);
  REQUIRE(rx.wait_for(2));
  std::lock_guard lock(rx.mutex);
  const RawMessage& m = rx.messages[0];
  CHECK(m.frame_count == 2);
  REQUIRE(m.frames.size() == 2);
  CHECK(m.frames[0]->text() == "{\"schema\":\"x\"}");
  CHECK(m.frames[1]->text() == "SIMPLE  = T");
  CHECK(m.total_bytes == 14 + 11);
  const RawMessage& three = rx.messages[1];
  CHECK(three.frame_count == 3);
  CHECK(three.frames.size() == 2);  // the rest is counted, not kept
  CHECK(three.total_bytes == 3);
}

TEST_CASE("ingest: sub mode connects to a camera's publisher and takes everything") {
  zmq::context_t ctx;
  const int port = free_port();
  zmq::socket_t pub(ctx, zmq::socket_type::pub);
  pub.bind(tcp(port));
  auto ingest = Ingest::open(ctx, {IngestMode::kSub, tcp(port), 1 << 20, 4});
  REQUIRE(ingest);
  Receiver rx(std::move(ingest).value());
  // A new subscriber misses what is published before its subscription arrives: repeat.
  for (int i = 0; i < 200 && rx.count() == 0; ++i) {
    pub.send(zmq::buffer(std::string("{}")), zmq::send_flags::sndmore);
    pub.send(zmq::buffer(std::string("payload")), zmq::send_flags::none);
    std::this_thread::sleep_for(10ms);
  }
  REQUIRE(rx.wait_for(1));
  std::lock_guard lock(rx.mutex);
  CHECK(rx.messages[0].frame_count == 2);
  CHECK(rx.messages[0].frames[1]->text() == "payload");
}

TEST_CASE("ingest: a port in use is a clear error") {
  zmq::context_t ctx;
  const int port = free_port();
  zmq::socket_t other(ctx, zmq::socket_type::pull);
  other.bind(tcp(port));
  auto ingest = Ingest::open(ctx, {IngestMode::kPull, tcp(port), 1 << 20, 4});
  REQUIRE_FALSE(ingest);
  CHECK(ingest.status().code() == Status::Code::kUnavailable);
  CHECK_THAT(ingest.status().message(), Catch::Contains(tcp(port)));
}

TEST_CASE("ingest: stop ends run promptly") {
  zmq::context_t ctx;
  auto ingest = Ingest::open(ctx, {IngestMode::kPull, tcp(free_port()), 1 << 20, 4});
  REQUIRE(ingest);
  auto started = std::chrono::steady_clock::now();
  { Receiver rx(std::move(ingest).value()); }
  CHECK(std::chrono::steady_clock::now() - started < 1s);
}

TEST_CASE("publisher: candidates go out under their route's topic with increasing seq") {
  zmq::context_t ctx;
  const int port = free_port();
  auto pub = ZmqPublisher::bind(ctx, tcp(port), 1000);
  INFO(pub.status().message());
  REQUIRE(pub);
  zmq::socket_t sub(ctx, zmq::socket_type::sub);
  sub.set(zmq::sockopt::subscribe, "candidate.");
  sub.set(zmq::sockopt::rcvtimeo, 20);
  sub.connect(tcp(port));
  // Publish until the subscription has reached the publisher (PUB drops before that).
  std::vector<std::pair<std::string, nlohmann::json>> got;
  for (int i = 0; i < 200 && got.size() < 2; ++i) {
    std::vector<OutgoingMessage> batch;
    batch.push_back({"candidate.alert", {{"candidate_id", "e:0"}}});
    batch.push_back({"candidate.review", {{"candidate_id", "e:1"}}});
    REQUIRE((*pub)->publish(std::move(batch)));
    zmq::message_t topic, body;
    while (sub.recv(topic) && sub.recv(body))
      got.push_back({topic.to_string(), nlohmann::json::parse(body.to_string())});
  }
  REQUIRE(got.size() >= 2);
  CHECK(got[0].first == "candidate.alert");
  CHECK(got[1].first == "candidate.review");
  CHECK(got[1].second.at("seq").get<uint64_t>() == got[0].second.at("seq").get<uint64_t>() + 1);
  CHECK((*pub)->sent() >= 2);
  (*pub)->close();
  CHECK_FALSE((*pub)->publish({{"candidate.alert", {}}}));
}

TEST_CASE("ingest: on stop, messages already received are handed over, not dropped") {
  zmq::context_t ctx;
  const int port = free_port();
  auto ingest = Ingest::open(ctx, {IngestMode::kPull, tcp(port), 1 << 20, 4});
  REQUIRE(ingest);
  zmq::socket_t push(ctx, zmq::socket_type::push);
  push.connect(tcp(port));
  for (int i = 0; i < 3; ++i) {
    push.send(zmq::buffer(std::string("{}")), zmq::send_flags::sndmore);
    push.send(zmq::buffer(std::to_string(i)), zmq::send_flags::none);
  }
  std::this_thread::sleep_for(200ms);  // they are in the PULL socket's queue now
  (*ingest)->stop();                   // before run: the loop ends at once, the drain remains
  std::vector<std::string> got;
  (*ingest)->run([&](RawMessage m) { got.push_back(std::string(m.frames[1]->text())); });
  CHECK(got == std::vector<std::string>{"0", "1", "2"});
  push.set(zmq::sockopt::linger, 0);
}
