// The exposure envelope of wire protocol v1: valid ones, every missing or
// wrong field, unknown schemas and unsafe names.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "envelope.h"

using namespace blink;
using Json = nlohmann::json;

namespace {

Json valid() {
  return Json::parse(
      R"({"schema":"blink.exposure/1","exposure_id":"F0001-r-0-e003","kind":"science",
                         "field":"F0001","band":"r","ccd":0,"mjd_obs":60000.1,"exptime_s":30.0})");
}

Rejection rejection_of(const Json& j) {
  EnvelopeParse p = parse_envelope(j.dump());
  REQUIRE_FALSE(p.envelope);
  return p.rejection;
}

}  // namespace

TEST_CASE("envelope: a valid envelope is read field by field") {
  EnvelopeParse p = parse_envelope(valid().dump());
  REQUIRE(p.envelope);
  const Envelope& e = *p.envelope;
  CHECK(e.exposure_id == "F0001-r-0-e003");
  CHECK(e.kind == ExposureKind::kScience);
  CHECK(e.field == "F0001");
  CHECK(e.band == "r");
  CHECK(e.ccd == 0);
  CHECK(e.mjd_obs == 60000.1);
  CHECK(e.exptime_s == 30.0);
  // And written back the same way.
  EnvelopeParse again = parse_envelope(e.to_json());
  REQUIRE(again.envelope);
  CHECK(again.envelope->to_json() == e.to_json());
}

TEST_CASE("envelope: a reference, unknown extra keys and integer numbers are fine") {
  Json j = valid();
  j["kind"] = "reference";
  j["observer"] = "night shift";
  j["exptime_s"] = 300;
  j["ccd"] = 61;
  EnvelopeParse p = parse_envelope(j.dump());
  REQUIRE(p.envelope);
  CHECK(p.envelope->kind == ExposureKind::kReference);
  CHECK(p.envelope->exptime_s == 300.0);
  CHECK(p.envelope->ccd == 61);
}

TEST_CASE("envelope: each missing field is named") {
  for (const char* key : {"exposure_id", "kind", "field", "band", "ccd", "mjd_obs", "exptime_s"}) {
    Json j = valid();
    j.erase(key);
    Rejection r = rejection_of(j);
    INFO(key << ": " << r.message);
    CHECK(r.reason == RejectReason::kBadEnvelope);
    CHECK_THAT(r.message, Catch::Contains(std::string("\"") + key + "\""));
  }
}

TEST_CASE("envelope: each wrong field is named with what was sent") {
  struct Case {
    const char* key;
    Json value;
    const char* expect;
  };
  const Case cases[] = {
      {"kind", "dark", "\"kind\" must be \"science\" or \"reference\", got \"dark\""},
      {"ccd", -1, "\"ccd\" must be an integer"},
      {"ccd", 1.5, "\"ccd\" must be an integer"},
      {"ccd", "0", "\"ccd\" must be an integer"},
      {"mjd_obs", "today", "\"mjd_obs\" must be a number"},
      {"exptime_s", 0, "\"exptime_s\" must be a number greater than 0"},
      {"exptime_s", -30.0, "\"exptime_s\" must be a number greater than 0"},
      {"field", 7, "\"field\" must be a string"},
      {"band", "", "\"band\" must be a string"},
  };
  for (const Case& c : cases) {
    Json j = valid();
    j[c.key] = c.value;
    Rejection r = rejection_of(j);
    INFO(c.key << " = " << c.value.dump() << ": " << r.message);
    CHECK(r.reason == RejectReason::kBadEnvelope);
    CHECK_THAT(r.message, Catch::Contains(c.expect));
  }
}

TEST_CASE("envelope: an unknown schema is its own reason and a missing one is a bad envelope") {
  Json j = valid();
  j["schema"] = "blink.exposure/2";
  Rejection r = rejection_of(j);
  CHECK(r.reason == RejectReason::kUnknownSchema);
  CHECK_THAT(r.message, Catch::Contains("blink.exposure/2"));
  j.erase("schema");
  CHECK(rejection_of(j).reason == RejectReason::kBadEnvelope);
  j["schema"] = 1;
  CHECK(rejection_of(j).reason == RejectReason::kBadEnvelope);
}

TEST_CASE("envelope: text that is not a JSON object is a bad envelope") {
  for (const std::string& text : std::vector<std::string>{"", "SIMPLE  =", "[1,2]", "\"x\"",
                                                          "{\"schema\":", "{\"a\":\"\xff\xfe\"}"}) {
    EnvelopeParse p = parse_envelope(text);
    INFO("text " << text);
    REQUIRE_FALSE(p.envelope);
    CHECK(p.rejection.reason == RejectReason::kBadEnvelope);
    CHECK_FALSE(p.rejection.message.empty());
  }
}

TEST_CASE("envelope: unsafe ids and names are refused because they become file names") {
  const std::vector<std::string> unsafe = {
      "../etc/passwd",       ".hidden", "a/b", "a b", "", "caf\xc3\xa9", "x\ny",
      std::string(129, 'a'), "..",      "."};
  for (const std::string& bad : unsafe) {
    for (const char* key : {"exposure_id", "field", "band"}) {
      Json j = valid();
      j[key] = bad;
      EnvelopeParse p = parse_envelope(j.dump(-1, ' ', false, Json::error_handler_t::replace));
      INFO(key << " = " << bad);
      REQUIRE_FALSE(p.envelope);
      CHECK(p.rejection.reason == RejectReason::kBadEnvelope);
    }
  }
  for (const std::string& good :
       std::vector<std::string>{"F0001-r-0-e003", "a:b_c.d", std::string(128, 'z'), "x."}) {
    CHECK(is_safe_name(good));
  }
}

TEST_CASE("envelope: untrusted names are sanitised for quarantine file names") {
  CHECK(sanitize_name("../../etc/passwd") == "_._.._etc_passwd");
  CHECK(sanitize_name("") == "unnamed");
  CHECK(sanitize_name(".x") == "_x");
  CHECK(sanitize_name(std::string(300, 'a')).size() == 64);
  CHECK(is_safe_name(sanitize_name("a b/c\xff")));
}
