// The Avro alert and verdict packets, read back with avro-c's own container
// reader and CFITSIO, and the schema files in schema/.
#include <avro.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <zmq.hpp>

#include "alert_avro.h"
#include "alert_messages.h"
#include "alert_schema_text.h"
#include "candidate_json.h"
#include "fits_io.h"
#include "test_support.h"

using namespace blink;
using Json = nlohmann::ordered_json;

namespace {

std::string file_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const std::filesystem::path kSchemaDir = std::filesystem::path(BLINK_SOURCE_DIR) / "schema";

Envelope exposure() {
  Envelope e;
  e.exposure_id = "s7-F0003-r-e2";
  e.field = "F0003";
  e.band = "r";
  e.ccd = 4;
  e.mjd_obs = 60321.25;
  e.exptime_s = 30;
  return e;
}

std::vector<float> stamp(int size, float scale) {
  std::vector<float> p(size_t(size) * size_t(size));
  for (size_t i = 0; i < p.size(); ++i) p[i] = scale * float(i) - 7.25f;
  for (int x = 0; x < 5; ++x) p[size_t(x)] = NAN;  // off the image's edge
  return p;
}

RoutedCandidate candidate(bool with_cutouts) {
  RoutedCandidate r;
  r.index = 12;
  r.candidate_id = candidate_id(exposure().exposure_id, r.index);
  Candidate& c = r.measured;
  c.x = 101.5, c.y = 202.25, c.ra = 150.125, c.dec = 2.5;
  c.flux = 1234.5, c.flux_err = 45.5, c.snr = 27.1, c.mag = 19.75, c.mag_err = 0.04;
  c.fwhm = 3.1, c.elongation = 1.2, c.fwhm_ratio = 1.05, c.negative_fraction = 0.02;
  c.sharpness = 0.9, c.ref_distance = 6.5, c.ref_mag = 18.2, c.npix = 31, c.on_mask = false;
  c.host_x = 104.5, c.host_y = 206.25, c.host_ra = 150.12525, c.host_dec = 2.5003;
  c.host_offset = 5.0, c.host_radius = 4.0, c.host_mag = 17.5;
  c.real_bogus = 0.93;
  r.route = Route::kAlert;
  r.route_reason = "real_bogus 0.930 >= 0.8";
  r.model_version = "rb-test-7";
  r.classes.p = {0.6, 0.1, 0.05, 0.05, 0.2};
  r.anomaly = 0.31;
  CandidateHistory& h = r.history;
  h.object_id = "s7-F0003-r-e0:4";
  h.new_object = false;
  PreviousDetection d1;
  d1.candidate_id = "s7-F0003-r-e0:4", d1.exposure_id = "s7-F0003-r-e0", d1.band = "r";
  d1.mjd = 60319.2, d1.ra = 150.12501, d1.dec = 2.50001, d1.flux = 800, d1.flux_err = 40;
  d1.snr = 20, d1.mag = 20.2, d1.mag_err = 0.05, d1.real_bogus = 0.88;
  PreviousDetection d2 = d1;
  d2.candidate_id = "s7-F0003-g-e1:9", d2.exposure_id = "s7-F0003-g-e1", d2.band = "g";
  d2.mjd = 60320.3, d2.mag = 20.0;
  h.detections = {d1, d2};
  NonDetection n;
  n.exposure_id = "s7-F0003-r-e1", n.band = "r", n.mjd = 60319.9, n.limiting_mag = 21.4;
  h.non_detections = {n};
  h.missed_tonight = 1;
  h.tracklet = {{"s7-F0003-r-e1:2", 60321.2, 150.1, 2.49, 20.5}};
  h.motion_arcsec_per_hour = 12.5;
  if (with_cutouts) {
    auto t = std::make_shared<CutoutTriplet>();
    t->size = 63;
    t->science = stamp(63, 1.5f);
    t->reference = stamp(63, 0.5f);
    t->difference = stamp(63, -0.25f);
    r.cutouts = t;
  }
  return r;
}

// A packet opened with avro-c's container reader and its first record.
class Packet {
 public:
  explicit Packet(const std::string& bytes) : bytes_(bytes) {
    FILE* f = fmemopen(bytes_.data(), bytes_.size(), "rb");
    REQUIRE(f != nullptr);
    REQUIRE(avro_file_reader_fp(f, "packet", 1, &reader_) == 0);
    iface_ = avro_generic_class_from_schema(avro_file_reader_get_writer_schema(reader_));
    REQUIRE(iface_ != nullptr);
    REQUIRE(avro_generic_value_new(iface_, &record_) == 0);
    INFO(avro_strerror());
    REQUIRE(avro_file_reader_read_value(reader_, &record_) == 0);
    avro_value_t more;  // exactly one record
    avro_generic_value_new(iface_, &more);
    CHECK(avro_file_reader_read_value(reader_, &more) == EOF);
    avro_value_decref(&more);
  }
  ~Packet() {
    avro_value_decref(&record_);
    avro_value_iface_decref(iface_);
    avro_file_reader_close(reader_);
  }
  avro_value_t* record() { return &record_; }
  std::string writer_schema_name() {
    return avro_schema_name(avro_file_reader_get_writer_schema(reader_));
  }

 private:
  std::string bytes_;
  avro_file_reader_t reader_ = nullptr;
  avro_value_iface_t* iface_ = nullptr;
  avro_value_t record_{};
};

avro_value_t field(const avro_value_t* record, const char* name) {
  avro_value_t v;
  INFO(name);
  REQUIRE(avro_value_get_by_name(record, name, &v, nullptr) == 0);
  return v;
}

// The value inside a union, or nullopt for its null branch.
std::optional<avro_value_t> branch(avro_value_t u) {
  REQUIRE(avro_value_get_type(&u) == AVRO_UNION);
  avro_value_t b;
  REQUIRE(avro_value_get_current_branch(&u, &b) == 0);
  if (avro_value_get_type(&b) == AVRO_NULL) return std::nullopt;
  return b;
}

std::string string_of(avro_value_t v) {
  const char* s = nullptr;
  size_t n = 0;
  REQUIRE(avro_value_get_string(&v, &s, &n) == 0);
  return std::string(s, n - 1);
}

double double_of(avro_value_t v) {
  if (avro_value_get_type(&v) == AVRO_UNION) {
    auto b = branch(v);
    REQUIRE(b);
    v = *b;
  }
  double d = 0;
  REQUIRE(avro_value_get_double(&v, &d) == 0);
  return d;
}

// `avro` holds `json`'s values: objects may have more members (classes.best).
bool same_or_more(const Json& avro, const Json& json) {
  if (json.is_object()) {
    if (!avro.is_object()) return false;
    for (const auto& [k, v] : json.items())
      if (!avro.contains(k) || !same_or_more(avro[k], v)) return false;
    return true;
  }
  if (json.is_number() && avro.is_number()) return json.get<double>() == avro.get<double>();
  return avro == json;
}

Json verdict_json() {
  Json j;
  j["schema"] = "blink.verdict/1";
  j["candidate_id"] = "s7-F0003-r-e2:12";
  j["exposure_id"] = "s7-F0003-r-e2";
  j["field"] = "F0003";
  j["band"] = "r";
  j["ccd"] = 4;
  j["mjd_obs"] = 60321.25;
  j["ra"] = 150.125;
  j["dec"] = 2.5;
  j["mag"] = nullptr;
  j["state"] = "retired";
  j["verdict"] = "real";
  j["reason"] = "posterior 0.995 >= 0.99";
  j["posterior"] = 0.995;
  j["machine_prior"] = 0.55;
  j["votes"] = 3;
  j["discoverers"] = Json::array({{{"volunteer_id", 17}, {"display_name", "Ada"}},
                                  {{"volunteer_id", 23}, {"display_name", ""}}});
  j["retired_unix"] = 1.7e9;
  return j;
}

}  // namespace

TEST_CASE("avro: the schema files parse with avro-c, and blinkd embeds them as they are",
          "[avro]") {
  const AvroSchemaTexts& embedded = avro_schema_texts();
  const std::pair<const char*, std::string_view> files[] = {
      {"blink.alert.avsc", embedded.alert},
      {"blink.candidate.avsc", embedded.candidate},
      {"blink.prv_candidate.avsc", embedded.prv_candidate},
      {"blink.cutout.avsc", embedded.cutout},
      {"blink.verdict.avsc", embedded.verdict}};
  for (const auto& [name, text] : files) {
    INFO(name);
    const std::string on_disk = file_text(kSchemaDir / name);
    CHECK(on_disk == text);
    if (std::string(name) == "blink.alert.avsc") continue;  // refers to the others by name
    avro_schema_t schema = nullptr;
    INFO(avro_strerror());
    REQUIRE(avro_schema_from_json_length(on_disk.data(), on_disk.size(), &schema) == 0);
    CHECK(std::string(avro_schema_namespace(schema)) == "blink");
    avro_schema_decref(schema);
  }
  // The alert with its named types inlined: what every packet carries.
  for (const std::string* text : {&alert_schema_json(), &verdict_schema_json()}) {
    avro_schema_t schema = nullptr;
    INFO(avro_strerror());
    REQUIRE(avro_schema_from_json_length(text->data(), text->size(), &schema) == 0);
    avro_schema_decref(schema);
  }
  // ZTF's top-level shape.
  Json alert = Json::parse(alert_schema_json());
  std::vector<std::string> names;
  for (const Json& f : alert["fields"]) names.push_back(f["name"]);
  CHECK(names == std::vector<std::string>{"schemavsn", "publisher", "objectId", "candid",
                                          "candidate", "prv_candidates", "cutoutScience",
                                          "cutoutTemplate", "cutoutDifference"});
}

TEST_CASE("avro: an alert packet decodes with avro-c: ids, measurements, classes, host", "[avro]") {
  const RoutedCandidate r = candidate(true);
  auto bytes = encode_alert_avro(exposure(), "zogy", r);
  REQUIRE(bytes);
  CHECK(bytes->substr(0, 4) == std::string("Obj\x01", 4));
  Packet p(*bytes);
  CHECK(p.writer_schema_name() == "alert");
  avro_value_t* a = p.record();
  CHECK(string_of(field(a, "schemavsn")) == "1.0");
  CHECK(string_of(field(a, "publisher")) == std::string("blinkd ") + BLINK_VERSION);
  CHECK(string_of(field(a, "candid")) == "s7-F0003-r-e2:12");
  CHECK(string_of(field(a, "objectId")) == "s7-F0003-r-e0:4");

  avro_value_t c = field(a, "candidate");
  CHECK(string_of(field(&c, "exposure_id")) == "s7-F0003-r-e2");
  CHECK(string_of(field(&c, "field")) == "F0003");
  int32_t ccd = 0;
  avro_value_t ccd_v = field(&c, "ccd");
  REQUIRE(avro_value_get_int(&ccd_v, &ccd) == 0);
  CHECK(ccd == 4);
  CHECK(double_of(field(&c, "mjd_obs")) == 60321.25);
  CHECK(double_of(field(&c, "ra")) == 150.125);
  CHECK(double_of(field(&c, "mag")) == 19.75);
  CHECK(double_of(field(&c, "real_bogus")) == 0.93);
  CHECK(string_of(field(&c, "model_version")) == "rb-test-7");
  CHECK(string_of(field(&c, "route")) == "alert");
  CHECK(string_of(field(&c, "route_reason")) == "real_bogus 0.930 >= 0.8");
  CHECK(string_of(field(&c, "method")) == "zogy");
  CHECK(double_of(field(&c, "anomaly")) == 0.31);

  avro_value_t classes = field(&c, "classes");
  CHECK(double_of(field(&classes, "supernova")) == 0.6);
  CHECK(double_of(field(&classes, "variable")) == 0.1);
  CHECK(double_of(field(&classes, "artefact")) == 0.2);
  CHECK(string_of(field(&classes, "best")) == "supernova");
  CHECK(double_of(field(&classes, "best_probability")) == 0.6);

  auto host = branch(field(&c, "host"));
  REQUIRE(host);
  CHECK(double_of(field(&*host, "ra")) == 150.12525);
  CHECK(double_of(field(&*host, "offset_px")) == 5.0);
  CHECK(double_of(field(&*host, "separation_radii")) == 1.25);
  // 0.00025 deg in RA at dec 2.5 (0.899") and 0.0003 deg in dec (1.08"): 1.405".
  CHECK(double_of(field(&*host, "offset_arcsec")) == Approx(1.4053).epsilon(1e-4));
}

TEST_CASE("avro: prv_candidates hold detections and non-detections, oldest first", "[avro]") {
  auto bytes = encode_alert_avro(exposure(), "zogy", candidate(false));
  REQUIRE(bytes);
  Packet p(*bytes);
  auto prv = branch(field(p.record(), "prv_candidates"));
  REQUIRE(prv);
  size_t n = 0;
  avro_value_get_size(&*prv, &n);
  REQUIRE(n == 3);
  avro_value_t rows[3];
  for (size_t i = 0; i < n; ++i) avro_value_get_by_index(&*prv, i, &rows[i], nullptr);
  // 60319.2 detection, 60319.9 non-detection, 60320.3 detection.
  auto candid0 = branch(field(&rows[0], "candid"));
  REQUIRE(candid0);
  CHECK(string_of(*candid0) == "s7-F0003-r-e0:4");
  CHECK(double_of(field(&rows[0], "mag")) == 20.2);
  CHECK_FALSE(branch(field(&rows[0], "diffmaglim")));

  CHECK_FALSE(branch(field(&rows[1], "candid")));
  CHECK_FALSE(branch(field(&rows[1], "mag")));
  CHECK(string_of(field(&rows[1], "exposure_id")) == "s7-F0003-r-e1");
  CHECK(double_of(field(&rows[1], "diffmaglim")) == 21.4);
  CHECK(double_of(field(&rows[1], "mjd")) == 60319.9);

  CHECK(string_of(field(&rows[2], "band")) == "g");
  avro_value_t c = field(p.record(), "candidate");
  int32_t ndethist = 0, nnondet = 0;
  avro_value_t v1 = field(&c, "ndethist"), v2 = field(&c, "nnondet");
  avro_value_get_int(&v1, &ndethist);
  avro_value_get_int(&v2, &nnondet);
  CHECK(ndethist == 2);
  CHECK(nnondet == 1);
  avro_value_t tracklet = field(&c, "tracklet");
  avro_value_get_size(&tracklet, &n);
  CHECK(n == 1);
  // No cutouts: the three are null.
  for (const char* name : {"cutoutScience", "cutoutTemplate", "cutoutDifference"})
    CHECK_FALSE(branch(field(p.record(), name)));
}

TEST_CASE("avro: the cutouts are 63x63 FITS files CFITSIO reads back pixel for pixel", "[avro]") {
  const RoutedCandidate r = candidate(true);
  auto bytes = encode_alert_avro(exposure(), "zogy", r);
  REQUIRE(bytes);
  Packet p(*bytes);
  const std::pair<const char*, const std::vector<float>*> expected[] = {
      {"cutoutScience", &r.cutouts->science},
      {"cutoutTemplate", &r.cutouts->reference},
      {"cutoutDifference", &r.cutouts->difference}};
  for (const auto& [name, pixels] : expected) {
    INFO(name);
    auto cut = branch(field(p.record(), name));
    REQUIRE(cut);
    CHECK_THAT(string_of(field(&*cut, "fileName")), Catch::EndsWith(".fits"));
    avro_value_t data = field(&*cut, "stampData");
    const void* buf = nullptr;
    size_t size = 0;
    REQUIRE(avro_value_get_bytes(&data, &buf, &size) == 0);
    CHECK(size % 2880 == 0);
    CHECK(std::string(static_cast<const char*>(buf), 6) == "SIMPLE");  // not gzipped
    auto fits = decode_fits(buf, size);
    REQUIRE(fits);
    CHECK(fits->image.width == 63);
    CHECK(fits->image.height == 63);
    CHECK_THAT(fits->header, Catch::Contains("BITPIX  =                  -32"));
    REQUIRE(fits->image.pixels.size() == pixels->size());
    int same = 0;
    for (size_t i = 0; i < pixels->size(); ++i) {
      const float a = fits->image.pixels[i], b = (*pixels)[i];
      same += (std::isnan(a) && std::isnan(b)) || a == b;
    }
    CHECK(same == int(pixels->size()));
  }
}

TEST_CASE("avro: the candidate record carries every field of the JSON form, same values",
          "[avro]") {
  const RoutedCandidate r = candidate(false);
  const Json json_form = candidate_json(exposure(), "alard-lupton", r);
  auto bytes = encode_alert_avro(exposure(), "alard-lupton", r);
  REQUIRE(bytes);
  auto decoded = decode_avro_container(*bytes);
  REQUIRE(decoded);
  const Json& c = (*decoded)["candidate"];
  for (const auto& [key, value] : json_form.items()) {
    // "schema" is the packet's schemavsn; "object" its objectId and prv_candidates.
    if (key == "schema" || key == "object") continue;
    INFO(key);
    REQUIRE(c.contains(key));
    CHECK(same_or_more(c[key], value));
  }
  CHECK((*decoded)["objectId"] == json_form["object"]["object_id"]);
  CHECK((*decoded)["prv_candidates"].size() == json_form["object"]["previous_detections"].size() +
                                                   json_form["object"]["non_detections"].size());
}

TEST_CASE("avro: a candidate with no history, host or cutouts encodes empty and null", "[avro]") {
  RoutedCandidate r;
  r.candidate_id = "e9:0";
  r.route = Route::kRejected;
  r.measured.mag = NAN;  // not finite: null, as in the JSON form
  auto bytes = encode_alert_avro(exposure(), "zogy", r);
  REQUIRE(bytes);
  auto a = decode_avro_container(*bytes);
  REQUIRE(a);
  CHECK((*a)["objectId"] == "e9:0");
  CHECK((*a)["prv_candidates"] == Json::array());
  CHECK((*a)["candidate"]["tracklet"] == Json::array());
  CHECK((*a)["candidate"]["host"].is_null());
  CHECK((*a)["candidate"]["mag"].is_null());
  CHECK((*a)["candidate"]["classes"]["best"] == "artefact");
  CHECK((*a)["cutoutDifference"].is_null());
}

TEST_CASE("avro: a verdict packet decodes with avro-c", "[avro]") {
  auto bytes = encode_verdict_avro(verdict_json());
  REQUIRE(bytes);
  Packet p(*bytes);
  CHECK(p.writer_schema_name() == "verdict");
  avro_value_t* v = p.record();
  CHECK(string_of(field(v, "candidate_id")) == "s7-F0003-r-e2:12");
  CHECK(string_of(field(v, "state")) == "retired");
  auto verdict = branch(field(v, "verdict"));
  REQUIRE(verdict);
  CHECK(string_of(*verdict) == "real");
  CHECK(double_of(field(v, "posterior")) == 0.995);
  CHECK_FALSE(branch(field(v, "mag")));
  avro_value_t discoverers = field(v, "discoverers");
  size_t n = 0;
  avro_value_get_size(&discoverers, &n);
  REQUIRE(n == 2);
  avro_value_t first;
  avro_value_get_by_index(&discoverers, 0, &first, nullptr);
  int64_t id = 0;
  avro_value_t id_v = field(&first, "volunteer_id");
  avro_value_get_long(&id_v, &id);
  CHECK(id == 17);
  CHECK(string_of(field(&first, "display_name")) == "Ada");
}

TEST_CASE("avro: a form that does not fit the schema is an error naming the field", "[avro]") {
  Json j = verdict_json();
  j.erase("reason");
  auto missing = encode_verdict_avro(j);
  REQUIRE_FALSE(missing);
  CHECK_THAT(missing.status().message(), Catch::Contains("verdict.reason is missing"));
  j = verdict_json();
  j["votes"] = "three";
  auto wrong = encode_verdict_avro(j);
  REQUIRE_FALSE(wrong);
  CHECK_THAT(wrong.status().message(), Catch::Contains("verdict.votes: expected an integer"));
  CHECK_FALSE(decode_avro_container("Obj\x01 but not really"));
}

TEST_CASE("avro: candidate_messages adds the Avro packet on avro.candidate.<route> when asked",
          "[avro]") {
  const RoutedCandidate r = candidate(true);
  auto json_only = candidate_messages(exposure(), "zogy", r, AlertForms::kJson);
  REQUIRE(json_only.size() == 1);
  CHECK(json_only[0].topic == "candidate.alert");
  CHECK(json_only[0].bytes.empty());
  CHECK(json_only[0].body["candidate_id"] == r.candidate_id);

  auto both = candidate_messages(exposure(), "zogy", r, AlertForms::kJsonAndAvro);
  REQUIRE(both.size() == 2);
  CHECK(both[0].topic == "candidate.alert");
  CHECK(both[1].topic == "avro.candidate.alert");
  auto a = decode_avro_container(both[1].bytes);
  REQUIRE(a);
  CHECK((*a)["candid"] == r.candidate_id);
}

TEST_CASE("avro: the publisher sends Avro bytes as they are and numbers only the JSON", "[avro]") {
  zmq::context_t context(1);
  const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(blink::testing::free_port());
  auto pub = ZmqPublisher::bind(context, endpoint, 1000);
  REQUIRE(pub);
  CHECK((*pub)->forms() == AlertForms::kJson);
  (*pub)->set_forms(AlertForms::kJsonAndAvro);
  CHECK((*pub)->forms() == AlertForms::kJsonAndAvro);
  zmq::socket_t sub(context, zmq::socket_type::sub);
  sub.set(zmq::sockopt::rcvtimeo, 100);
  sub.set(zmq::sockopt::subscribe, "");
  sub.connect(endpoint);
  const RoutedCandidate r = candidate(false);
  // A new subscriber misses what is published before its subscription arrives: repeat.
  std::vector<std::pair<std::string, std::string>> got;
  for (int attempt = 0; attempt < 100 && got.size() < 4; ++attempt) {
    REQUIRE((*pub)->publish(candidate_messages(exposure(), "zogy", r, (*pub)->forms())));
    for (zmq::message_t topic; sub.recv(topic);) {
      zmq::message_t body;
      REQUIRE(sub.recv(body));
      got.emplace_back(topic.to_string(), body.to_string());
    }
  }
  REQUIRE(got.size() >= 4);
  uint64_t last_seq = 0;
  for (const auto& [topic, body] : got) {
    INFO(topic);
    if (topic == "candidate.alert") {
      uint64_t seq = Json::parse(body)["seq"];
      if (last_seq > 0) CHECK(seq == last_seq + 1);  // Avro messages take no number
      last_seq = seq;
    } else {
      REQUIRE(topic == "avro.candidate.alert");
      auto a = decode_avro_container(body);
      REQUIRE(a);
      CHECK((*a)["candid"] == r.candidate_id);
    }
  }
}
