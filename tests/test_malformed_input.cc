// Bad input against the real daemon: a corpus of malformed messages, each
// generated from a valid simulated exposure, sent over a real ZeroMQ PUSH
// socket to one blinkd. Each must be rejected with the expected reason label,
// a log line naming the problem and a quarantined copy, while the daemon keeps
// running; afterwards a valid exposure is still processed. Then malformed HTTP
// requests, each answered 4xx with a message. Plus FITS files read from disk.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <set>

#include "envelope.h"
#include "fits_io.h"
#include "survey.h"
#include "test_support.h"

using namespace blink::testing;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

using Bytes = std::vector<uint8_t>;

Bytes to_bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

// Index of the 80-character header card whose keyword is `key`, in the first
// header of `fits`; npos when absent.
size_t find_card(const Bytes& fits, std::string_view key) {
  for (size_t at = 0; at + 80 <= fits.size(); at += 80) {
    std::string_view card(reinterpret_cast<const char*>(fits.data()) + at, 80);
    std::string_view k = card.substr(0, 8);
    while (!k.empty() && k.back() == ' ') k.remove_suffix(1);
    if (k == key) return at;
    if (k == "END") break;
  }
  return std::string::npos;
}

// `fits` with the card `key` rewritten as `key = value` (added before END if absent).
Bytes with_card(Bytes fits, std::string_view key, std::string_view value) {
  char card[81];
  std::snprintf(card, sizeof card, "%-8.8s= %20.*s", std::string(key).c_str(), int(value.size()),
                value.data());
  std::string text(card);
  text.resize(80, ' ');
  size_t at = find_card(fits, key);
  if (at == std::string::npos) {  // a new card where END was; END moves one card on
    at = find_card(fits, "END");
    REQUIRE(at != std::string::npos);
    REQUIRE((at + 80) % 2880 != 0);  // room left in the header's last block
    std::memcpy(fits.data() + at + 80, fits.data() + at, 80);
  }
  std::memcpy(fits.data() + at, text.data(), 80);
  return fits;
}

// `fits` with every card whose keyword starts with one of `prefixes` blanked.
Bytes without_cards(Bytes fits, const std::vector<std::string>& prefixes) {
  for (size_t at = 0; at + 80 <= fits.size(); at += 80) {
    std::string_view card(reinterpret_cast<const char*>(fits.data()) + at, 80);
    if (card.substr(0, 3) == "END") break;
    for (const auto& p : prefixes)
      if (card.substr(0, p.size()) == p) std::memset(fits.data() + at, ' ', 80);
  }
  return fits;
}

Bytes encode(const blink::Image& image, const std::vector<blink::FitsCard>& cards) {
  auto bytes = blink::encode_fits(image, cards);
  REQUIRE(bytes);
  return std::move(bytes).value();
}

// One malformed message: its frames, the reason it must be rejected with and
// a word the log line must contain.
struct Case {
  std::string name;
  std::vector<Bytes> frames;
  std::string reason;
  std::string keyword;
  std::string id;  // the exposure id the log and quarantine name must show, if any
};

// A running blinkd on free loopback ports with a small message limit.
struct Daemon {
  TempDir tmp;
  int ingest = free_port(), alerts = free_port(), http = free_port(), metrics = free_port();
  fs::path log = tmp.path() / "blinkd.log";
  fs::path quarantine = tmp.path() / "state" / "quarantine";
  std::unique_ptr<Child> child;

  Daemon() {
    const auto config = tmp.path() / "blink.toml";
    std::ofstream(config) << "[ingest]\nendpoint = \"tcp://127.0.0.1:" << ingest << "\"\n"
                          << "max_message_bytes = 1048576\n"
                          << "[alerts]\nendpoint = \"tcp://127.0.0.1:" << alerts << "\"\n"
                          << "[http]\nlisten = \"127.0.0.1:" << http << "\"\n"
                          << "[metrics]\nlisten = \"127.0.0.1:" << metrics << "\"\n"
                          << "[state]\ndir = \"" << (tmp.path() / "state").string() << "\"\n";
    child = std::make_unique<Child>(
        std::vector<std::string>{std::string(BLINK_BINARY_DIR) + "/daemon/blinkd", "--config",
                                 config.string()},
        log.string());
  }
  bool alive() { return child->wait(1ms) == -1; }
  double metric(const std::string& name, const std::string& labels) {
    double v = metric_value(http_get(metrics, "/metrics").body, name, labels);
    return v < 0 ? 0 : v;
  }
  double rejected(const std::string& reason) {
    return metric("blink_exposures_rejected_total", "reason=\"" + reason + "\"");
  }
  std::set<std::string> quarantined() {
    std::set<std::string> names;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(quarantine, ec))
      if (e.path().extension() == ".json") names.insert(e.path().filename().string());
    return names;
  }
};

void send(zmq::socket_t& push, const std::vector<Bytes>& frames) {
  for (size_t i = 0; i < frames.size(); ++i) {
    zmq::const_buffer b(frames[i].data(), frames[i].size());
    REQUIRE(push.send(b, i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none));
  }
}

// Runs one case and checks everything the issue asks of a rejection.
void run_case(Daemon& d, zmq::socket_t& push, const Case& c) {
  INFO("case " << c.name << ": expected reason " << c.reason);
  const double before = d.rejected(c.reason);
  const auto quarantined_before = d.quarantined();
  const auto log_offset = fs::file_size(d.log);
  send(push, c.frames);

  std::string new_log, new_file;
  bool counted = false, logged = false;
  for (auto end = std::chrono::steady_clock::now() + 20s;
       std::chrono::steady_clock::now() < end && !(counted && logged && !new_file.empty());) {
    counted = d.rejected(c.reason) >= before + 1;
    std::string text = read_text(d.log);
    new_log = text.size() > log_offset ? text.substr(log_offset) : "";
    logged = new_log.find("reason=" + c.reason) != std::string::npos;
    for (const auto& f : d.quarantined())
      if (!quarantined_before.count(f)) new_file = f;
    if (!(counted && logged && !new_file.empty())) std::this_thread::sleep_for(20ms);
  }
  INFO("log since the case was sent:\n" << new_log);
  REQUIRE(d.alive());
  CHECK(http_get(d.http, "/healthz").status == 200);
  CHECK(d.rejected(c.reason) == before + 1);
  CHECK(logged);
  CHECK(new_log.find(c.keyword) != std::string::npos);
  REQUIRE_FALSE(new_file.empty());
  if (!c.id.empty()) {
    // An id that failed validation is logged in its file-name-safe form.
    CHECK((new_log.find(c.id) != std::string::npos ||
           new_log.find(blink::sanitize_name(c.id)) != std::string::npos));
    CHECK(new_file.find(blink::sanitize_name(c.id)) != std::string::npos);
  }
  // The quarantine note records the reason.
  auto note = nlohmann::json::parse(read_text(d.quarantine / new_file), nullptr, false);
  REQUIRE(note.is_object());
  CHECK(note.value("reason", "") == c.reason);
}

struct Exposure {
  nlohmann::json envelope;
  Bytes fits;
  blink::sim::SimExposure sim;
};

Bytes envelope_bytes(const nlohmann::json& j) { return to_bytes(j.dump()); }

}  // namespace

TEST_CASE("malformed input: each bad message is rejected with its reason and logged and quarantined while blinkd goes on",
          "[malformed]") {
  // Two fields: only F0001's reference is sent; F0002's science, labelled F0001, is the wrong field.
  blink::sim::SimConfig config;
  config.seed = 11;
  config.fields = 2;
  config.epochs = 1;
  config.width = config.height = 256;
  blink::sim::SurveySimulator sim(config);
  std::vector<Exposure> exposures;
  for (blink::sim::SimExposure e; sim.next(e);) {
    auto fits = blink::sim::to_fits(e);
    REQUIRE(fits);
    exposures.push_back({nlohmann::json::parse(blink::sim::envelope_json(e)), std::move(fits).value(), e});
  }
  REQUIRE(sim.status().is_ok());
  auto find = [&](const std::string& kind, const std::string& field) -> const Exposure& {
    for (const auto& e : exposures)
      if (e.sim.kind == kind && e.sim.field == field) return e;
    FAIL("no " << kind << " for " << field);
    return exposures.front();
  };
  const Exposure& ref1 = find("reference", "F0001");
  const Exposure& sci1 = find("science", "F0001");
  const Exposure& sci2 = find("science", "F0002");

  Daemon d;
  bool ready = false;
  for (int i = 0; i < 300 && !ready; ++i) {
    ready = http_get(d.http, "/readyz").status == 200;
    if (!ready) std::this_thread::sleep_for(50ms);
  }
  INFO(read_text(d.log));
  REQUIRE(ready);

  zmq::context_t ctx;
  zmq::socket_t push(ctx, zmq::socket_type::push);
  push.set(zmq::sockopt::linger, 0);
  push.connect("tcp://127.0.0.1:" + std::to_string(d.ingest));

  send(push, {envelope_bytes(ref1.envelope), ref1.fits});
  for (int i = 0; i < 600 && d.metric("blink_exposures_processed_total", "reference") < 1; ++i)
    std::this_thread::sleep_for(50ms);
  REQUIRE(d.metric("blink_exposures_processed_total", "reference") == 1);

  // A science envelope for F0001 with a fresh id, optionally changed.
  auto science = [&](const std::string& id, const std::function<void(nlohmann::json&)>& edit = {}) {
    nlohmann::json j = sci1.envelope;
    j["exposure_id"] = id;
    if (edit) edit(j);
    return envelope_bytes(j);
  };
  const Bytes& good = sci1.fits;
  const blink::Image& img = sci1.sim.image;
  const auto& cards = sci1.sim.cards;

  std::vector<Case> cases;
  auto add = [&](std::string name, std::vector<Bytes> frames, std::string reason, std::string keyword,
                 std::string id = "") {
    cases.push_back({std::move(name), std::move(frames), std::move(reason), std::move(keyword), std::move(id)});
  };
  auto add_fits = [&](const std::string& name, Bytes payload, const std::string& reason,
                      const std::string& keyword) {
    const std::string id = "mal-" + name;
    add(name, {science(id), std::move(payload)}, reason, keyword, id);
  };

  // --- the envelope ---
  add("bad_json", {to_bytes("{\"schema\": \"blink.exposure/1\", "), good}, "bad_envelope", "not valid JSON");
  add("json_array", {to_bytes("[1, 2, 3]"), good}, "bad_envelope", "must be a JSON object");
  add("empty_envelope", {Bytes{}, good}, "bad_envelope", "not valid JSON");
  add("non_utf8", {to_bytes("{\"schema\":\"blink.exposure/1\",\"exposure_id\":\"\xff\xfe\xc0\"}"), good},
      "bad_envelope", "not valid JSON");
  // A number beyond double: nlohmann throws out_of_range, which once escaped and killed blinkd.
  add("number_overflow",
      {to_bytes("{\"schema\":\"blink.exposure/1\",\"exposure_id\":\"mal-overflow\",\"mjd_obs\":1e999}"), good},
      "bad_envelope", "number overflow");
  add("unknown_schema", {to_bytes("{\"schema\":\"blink.exposure/9\",\"exposure_id\":\"mal-schema\"}"), good},
      "unknown_schema", "unknown schema", "mal-schema");
  add("no_schema", {science("mal-no-schema", [](auto& j) { j.erase("schema"); }), good}, "bad_envelope",
      "no \\\"schema\\\"", "mal-no-schema");
  add("missing_id", {science("x", [](auto& j) { j.erase("exposure_id"); }), good}, "bad_envelope",
      "exposure_id");
  add("unsafe_id", {science("../x"), good}, "bad_envelope", "exposure_id", "../x");
  add("bad_kind", {science("mal-kind", [](auto& j) { j["kind"] = "flat"; }), good}, "bad_envelope",
      "kind", "mal-kind");
  add("huge_ccd", {science("mal-ccd", [](auto& j) { j["ccd"] = 1000000000; }), good}, "bad_envelope",
      "ccd", "mal-ccd");
  add("negative_exptime", {science("mal-exptime", [](auto& j) { j["exptime_s"] = -30.0; }), good},
      "bad_envelope", "exptime_s", "mal-exptime");
  add("string_mjd", {science("mal-mjd", [](auto& j) { j["mjd_obs"] = "tonight"; }), good}, "bad_envelope",
      "mjd_obs", "mal-mjd");
  // --- the frames ---
  add("one_frame", {science("mal-one-frame")}, "bad_frames", "1 frames", "mal-one-frame");
  add("three_frames", {science("mal-three-frames"), good, good}, "bad_frames", "3 frames", "mal-three-frames");
  {
    Bytes big = good;
    big.resize(1536 * 1024, 0);  // over the 1 MiB limit of this daemon
    add("oversized", {science("mal-oversized"), big}, "oversized", "max_message_bytes", "mal-oversized");
  }
  add("duplicate_id", {envelope_bytes(ref1.envelope), ref1.fits}, "duplicate", "received before",
      ref1.envelope["exposure_id"].get<std::string>());
  // --- the FITS bytes ---
  add_fits("empty_payload", Bytes{}, "bad_fits", "FITS SIMPLE card");
  add_fits("not_fits", to_bytes("\x89PNG\r\n\x1a\n this is not an image"), "bad_fits", "FITS SIMPLE card");
  add_fits("truncated_100", Bytes(good.begin(), good.begin() + 100), "bad_fits", "FITS");
  add_fits("truncated_header", Bytes(good.begin(), good.begin() + 2880), "bad_fits", "FITS");
  add_fits("truncated_data", Bytes(good.begin(), good.begin() + long(good.size() / 2)), "bad_fits", "truncated");
  // (A payload short of only its final padding is still read: the pixels are all there.)
  add_fits("truncated_last_block", Bytes(good.begin(), good.end() - 2 * 2880), "bad_fits", "truncated");
  {
    Bytes no_end = good;
    size_t end = find_card(no_end, "END");
    REQUIRE(end != std::string::npos);
    std::memcpy(no_end.data() + end, "XND", 3);
    add_fits("no_end_card", no_end, "bad_fits", "END");
  }
  {
    Bytes flipped = good;
    for (size_t i = 400; i < 2000; i += 7) flipped[i] ^= 0x80;  // corrupt header bytes
    add_fits("flipped_header_bytes", flipped, "bad_fits", "FITS");
  }
  add_fits("bitpix_12", with_card(good, "BITPIX", "12"), "bad_fits", "BITPIX");
  add_fits("naxis_0", with_card(good, "NAXIS", "0"), "bad_fits", "NAXIS");
  add_fits("naxis_3", with_card(with_card(good, "NAXIS", "3"), "NAXIS3", "1"), "bad_fits", "NAXIS");
  add_fits("naxis1_0", with_card(good, "NAXIS1", "0"), "bad_fits", "both sides must be positive");
  add_fits("naxis1_negative", with_card(good, "NAXIS1", "-5"), "bad_fits", "axis");
  {
    Bytes huge = with_card(with_card(good, "NAXIS1", "100000"), "NAXIS2", "100000");
    huge.resize(2880 * ((find_card(huge, "END") / 2880) + 1));  // the header alone
    add_fits("huge_header_no_data", huge, "bad_fits", "truncated");
  }
  // One pixel at the reference's centre: readable, but nothing to subtract.
  add_fits("image_1x1",
           with_card(with_card(encode(blink::Image(1, 1, 100.f), cards), "CRPIX1", "1"), "CRPIX2", "1"),
           "pipeline_error", "1x1");
  {
    blink::Image nan = img;
    std::fill(nan.pixels.begin(), nan.pixels.end(), std::numeric_limits<float>::quiet_NaN());
    add_fits("all_nan", encode(nan, cards), "bad_pixels", "NaN or infinite");
    blink::Image inf = img;
    for (size_t i = 0; i < inf.pixels.size() * 6 / 10; ++i)
      inf.pixels[i] = (i % 2 ? 1 : -1) * std::numeric_limits<float>::infinity();
    add_fits("mostly_inf", encode(inf, cards), "bad_pixels", "NaN or infinite");
  }
  // --- the WCS ---
  add_fits("ctype_xyz", with_card(good, "CTYPE1", "'RA---XYZ'"), "bad_wcs", "WCS");
  add_fits("crval_garbage", with_card(good, "CRVAL1", "'east'"), "bad_wcs", "WCS");
  add_fits("singular_cd", with_card(with_card(with_card(with_card(good, "CD1_1", "0"), "CD1_2", "0"),
                                              "CD2_1", "0"), "CD2_2", "0"),
           "bad_wcs", "WCS");
  add_fits("no_wcs", without_cards(good, {"CTYPE", "CRPIX", "CRVAL", "CD1_", "CD2_", "CDELT", "PC1_", "PC2_",
                                          "CUNIT", "WCSAXES", "RADESYS", "EQUINOX", "LONPOLE", "LATPOLE"}),
           "bad_wcs", "WCS");
  // --- references ---
  add("no_reference",
      {science("mal-no-reference", [](auto& j) { j["field"] = "F0099"; }), good}, "no_reference",
      "no reference for field F0099", "mal-no-reference");
  add("wrong_field",
      {science("mal-wrong-field"), sci2.fits}, "bad_wcs", "WCS", "mal-wrong-field");

  REQUIRE(cases.size() >= 30);
  for (const auto& c : cases) run_case(d, push, c);

  // Nothing accepted before is lost, and a valid science exposure still goes through.
  send(push, {envelope_bytes(sci1.envelope), sci1.fits});
  for (int i = 0; i < 600 && d.metric("blink_exposures_processed_total", "science") < 1; ++i)
    std::this_thread::sleep_for(50ms);
  INFO(read_text(d.log));
  CHECK(d.metric("blink_exposures_processed_total", "science") == 1);
  CHECK(d.metric("blink_exposures_processed_total", "reference") == 1);
  CHECK(http_get(d.http, "/healthz").status == 200);
  d.child->signal(SIGTERM);
  const int exit_code = d.child->wait(30s);
  INFO("log after SIGTERM:\n" << read_text(d.log).substr(read_text(d.log).size() > 3000 ? read_text(d.log).size() - 3000 : 0));
  CHECK(exit_code == 0);
}

TEST_CASE("malformed input: bad HTTP requests get 4xx and a message while blinkd goes on", "[malformed]") {
  Daemon d;
  bool ready = false;
  for (int i = 0; i < 300 && !ready; ++i) {
    ready = http_get(d.http, "/readyz").status == 200;
    if (!ready) std::this_thread::sleep_for(50ms);
  }
  INFO(read_text(d.log));
  REQUIRE(ready);

  struct Request {
    std::string method, path;
    int status;  // expected
  };
  const std::vector<Request> requests = {
      {"GET", "/api/v1/candidates?limit=abc", 400},
      {"GET", "/api/v1/candidates?limit=0", 400},
      {"GET", "/api/v1/candidates?limit=-1", 400},
      {"GET", "/api/v1/candidates?limit=1e3", 400},
      {"GET", "/api/v1/candidates?limit=", 400},
      {"GET", "/api/v1/candidates?route=bogus", 400},
      {"GET", "/api/v1/candidates?route=alert%00", 400},
      {"GET", "/api/v1/candidates?route=%zz", 400},
      {"GET", "/api/v1/exposures?limit=%00", 400},
      {"GET", "/api/v1/exposures?limit=" + std::string(400, '9'), 400},
      {"GET", "/api/v1/nothing", 404},
      {"GET", "/../../etc/passwd", 400},
      {"GET", "/%2e%2e/%2e%2e/etc/passwd", 400},
      {"GET", "/nothing%00.txt", 404},
      {"GET", "/" + std::string(100000, 'a'), 0},  // overlong: see below
      {"POST", "/api/v1/status", 405},
      {"PUT", "/api/v1/candidates", 405},
      {"DELETE", "/healthz", 405},
  };
  for (const auto& r : requests) {
    INFO(r.method << " " << r.path.substr(0, 80));
    auto resp = http_request(d.http, r.method, r.path, r.method == "POST" ? "{\"x\":1}" : "");
    if (r.status == 0) {
      // civetweb refuses a request line beyond its buffer before any handler runs.
      CHECK(resp.status >= 400);
      CHECK(resp.status < 500);
    } else {
      CHECK(resp.status == r.status);
      CHECK(resp.body.find("error") != std::string::npos);
    }
    REQUIRE(http_get(d.http, "/healthz").status == 200);
  }
  // The huge limit is capped, not refused.
  CHECK(http_get(d.http, "/api/v1/candidates?limit=99999999999999999999").status == 200);

  // A garbage request line and a request cut short.
  for (std::string raw : {std::string("\x01\x02 garbage\r\n\r\n"), std::string("GET / HTTP/9.9\r\n\r\n"),
                          std::string("GET /api/v1/status HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\nab"),
                          std::string("GET /api/v1/sta")}) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(uint16_t(d.http));
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    ::send(fd, raw.data(), raw.size(), MSG_NOSIGNAL);
    ::shutdown(fd, SHUT_WR);
    char buf[4096];
    std::string resp;
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) resp.append(buf, size_t(n));
    ::close(fd);
    INFO("raw request " << raw.substr(0, 40) << " -> " << resp.substr(0, 200));
    if (!resp.empty()) {
      int status = std::atoi(resp.c_str() + resp.find(' ') + 1);
      // 505 is civetweb's answer to an HTTP version it does not speak.
      CHECK(((status >= 400 && status < 500) || status == 505 || status == 200));
    }
    REQUIRE(http_get(d.http, "/healthz").status == 200);
  }
  REQUIRE(d.alive());
}

TEST_CASE("malformed input: FITS files on disk are refused with a message naming the problem",
          "[malformed]") {
  TempDir tmp;
  blink::Image image(16, 16, 1.f);
  Bytes good = encode(image, {});
  struct FileCase {
    std::string name;
    Bytes bytes;
    std::string keyword;
  };
  const std::vector<FileCase> files = {
      {"empty.fits", Bytes{}, "empty"},
      {"short.fits", Bytes(good.begin(), good.begin() + 40), "FITS"},
      {"truncated.fits", Bytes(good.begin(), good.end() - 2000), "truncated"},
      {"bitpix.fits", with_card(good, "BITPIX", "12"), "BITPIX"},
      {"huge.fits", with_card(with_card(good, "NAXIS1", "100000"), "NAXIS2", "100000"), "truncated"},
  };
  for (const auto& f : files) {
    INFO(f.name);
    const auto path = (tmp.path() / f.name).string();
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(f.bytes.data()), long(f.bytes.size()));
    auto decoded = blink::read_fits_file(path);
    REQUIRE_FALSE(decoded);
    INFO(decoded.status().message());
    CHECK(decoded.status().message().find(f.keyword) != std::string::npos);
  }
  CHECK_FALSE(blink::read_fits_file((tmp.path() / "missing.fits").string()));
}
