#include "alert_avro.h"

#include <avro.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <unordered_map>

#include "alert_schema_text.h"
#include "candidate_json.h"
#include "fits_io.h"

namespace blink {
namespace {

using Json = nlohmann::ordered_json;

Status avro_error(const std::string& what) {
  return Status::internal(what + ": " + avro_strerror());
}

Json number(double v) { return std::isfinite(v) ? Json(v) : Json(); }

// ---- Composing and parsing the schemas ------------------------------------

// Replaces the first reference to each named type in `named` by its
// definition: Avro requires a name to be defined before (and only once)
// it is referred to, and schema/ keeps each named type in its own file.
void inline_first_uses(Json& node, std::map<std::string, Json>& named) {
  if (node.is_string()) {
    auto it = named.find(node.get<std::string>());
    if (it != named.end()) {
      Json definition = std::move(it->second);
      named.erase(it);
      inline_first_uses(definition, named);  // a definition may use another name
      node = std::move(definition);
    }
    return;
  }
  if (node.is_array()) {
    for (Json& child : node) inline_first_uses(child, named);
  } else if (node.is_object()) {
    for (auto& [key, child] : node.items())
      if (key == "type" || key == "fields" || key == "items" || key == "values")
        inline_first_uses(child, named);
  }
}

std::string compose_alert_schema() {
  const AvroSchemaTexts& t = avro_schema_texts();
  Json alert = Json::parse(t.alert);
  std::map<std::string, Json> named = {{"blink.candidate", Json::parse(t.candidate)},
                                       {"blink.prv_candidate", Json::parse(t.prv_candidate)},
                                       {"blink.cutout", Json::parse(t.cutout)}};
  inline_first_uses(alert, named);
  return alert.dump();
}

// A parsed schema and the start of every container file written with it.
// Lives as long as the process (parsed once, shared by all threads).
struct ParsedSchema {
  avro_schema_t schema = nullptr;
  std::string header;  // magic and metadata; each file adds its own sync marker
};

void put_long(std::string& out, int64_t v) {
  uint64_t z = (uint64_t(v) << 1) ^ uint64_t(v >> 63);  // zig-zag, then base-128 varint
  while (z >= 0x80) {
    out.push_back(char((z & 0x7f) | 0x80));
    z >>= 7;
  }
  out.push_back(char(z));
}

void put_bytes(std::string& out, std::string_view s) {
  put_long(out, int64_t(s.size()));
  out.append(s);
}

// The container's header (Avro spec, "Object Container Files"). Written here
// rather than by avro_file_writer_*, which needs a FILE* and re-seeds the
// process's rand() with srand(time(NULL)) for every file it creates.
std::string container_header(const std::string& schema_json) {
  std::string h("Obj\x01", 4);
  put_long(h, 2);
  put_bytes(h, "avro.schema");
  put_bytes(h, schema_json);
  put_bytes(h, "avro.codec");
  put_bytes(h, "null");
  put_long(h, 0);
  return h;
}

Result<const ParsedSchema*> parsed(const std::string& schema_json) {
  // Never destroyed: avro-c's named-type links form reference cycles that a
  // decref at exit would strand (and LeakSanitizer would report).
  static std::mutex& mutex = *new std::mutex;
  static auto& cache = *new std::unordered_map<std::string, std::unique_ptr<ParsedSchema>>;
  std::lock_guard lock(mutex);
  auto it = cache.find(schema_json);
  if (it != cache.end()) return it->second.get();
  auto p = std::make_unique<ParsedSchema>();
  if (avro_schema_from_json_length(schema_json.data(), schema_json.size(), &p->schema) != 0)
    return avro_error("parsing an Avro schema");
  p->header = container_header(schema_json);
  return cache.emplace(schema_json, std::move(p)).first->second.get();
}

// avro-c value classes, one per thread and schema: sharing one across
// threads is not documented as safe.
class ThreadClasses {
 public:
  ~ThreadClasses() {
    for (auto& [schema, iface] : classes_) avro_value_iface_decref(iface);
  }
  avro_value_iface_t* of(const ParsedSchema* p) {
    auto it = classes_.find(p);
    if (it != classes_.end()) return it->second;
    avro_value_iface_t* iface = avro_generic_class_from_schema(p->schema);
    if (iface) classes_.emplace(p, iface);
    return iface;
  }

 private:
  std::unordered_map<const ParsedSchema*, avro_value_iface_t*> classes_;
};

// An avro-c generic value, released on scope exit.
struct Value {
  avro_value_t v{};
  bool set = false;
  ~Value() {
    if (set) avro_value_decref(&v);
  }
};

// ---- JSON -> Avro, led by the schema ----------------------------------------

Status fill(avro_value_t* v, const Json& j, const std::string& path);

Status wrong(const std::string& path, const char* expected, const Json& j) {
  return Status::invalid("Avro field " + path + ": expected " + expected + ", got " +
                         std::string(j.type_name()));
}

Status fill_union(avro_value_t* v, const Json& j, const std::string& path) {
  avro_schema_t schema = avro_value_get_schema(v);
  const size_t n = avro_schema_union_size(schema);
  for (size_t i = 0; i < n; ++i) {
    const bool null_branch = is_avro_null(avro_schema_union_branch(schema, int(i)));
    if (null_branch != j.is_null()) continue;
    avro_value_t branch;
    if (avro_value_set_branch(v, int(i), &branch) != 0)
      return avro_error("Avro field " + path + ": choosing a union branch");
    if (null_branch) return avro_value_set_null(&branch) == 0 ? Status::ok() : avro_error(path);
    return fill(&branch, j, path);
  }
  return wrong(path, j.is_null() ? "a value (not nullable)" : "null", j);
}

Status fill(avro_value_t* v, const Json& j, const std::string& path) {
  int rc = 0;
  switch (avro_value_get_type(v)) {
    case AVRO_RECORD: {
      if (!j.is_object()) return wrong(path, "an object", j);
      size_t n = 0;
      avro_value_get_size(v, &n);
      for (size_t i = 0; i < n; ++i) {
        avro_value_t field;
        const char* name = nullptr;
        avro_value_get_by_index(v, i, &field, &name);
        const std::string where = path + "." + name;
        auto it = j.find(name);
        if (it != j.end()) {
          if (Status s = fill(&field, *it, where); !s) return s;
        } else if (avro_value_get_type(&field) == AVRO_UNION) {
          if (Status s = fill_union(&field, Json(), where); !s) return s;
        } else {
          return Status::invalid("Avro field " + where + " is missing");
        }
      }
      return Status::ok();
    }
    case AVRO_UNION:
      return fill_union(v, j, path);
    case AVRO_ARRAY: {
      if (!j.is_array()) return wrong(path, "an array", j);
      for (size_t i = 0; i < j.size(); ++i) {
        avro_value_t item;
        if (avro_value_append(v, &item, nullptr) != 0) return avro_error(path);
        if (Status s = fill(&item, j[i], path + "[" + std::to_string(i) + "]"); !s) return s;
      }
      return Status::ok();
    }
    case AVRO_MAP: {
      if (!j.is_object()) return wrong(path, "an object", j);
      for (const auto& [key, child] : j.items()) {
        avro_value_t item;
        if (avro_value_add(v, key.c_str(), &item, nullptr, nullptr) != 0) return avro_error(path);
        if (Status s = fill(&item, child, path + "." + key); !s) return s;
      }
      return Status::ok();
    }
    case AVRO_STRING:
      if (!j.is_string()) return wrong(path, "a string", j);
      rc = avro_value_set_string_len(v, j.get_ref<const std::string&>().c_str(),
                                     j.get_ref<const std::string&>().size() + 1);
      break;
    case AVRO_BYTES: {
      if (!j.is_binary()) return wrong(path, "bytes", j);
      const auto& b = j.get_binary();
      rc = avro_value_set_bytes(v, const_cast<uint8_t*>(b.data()), b.size());
      break;
    }
    case AVRO_DOUBLE:
      if (!j.is_number()) return wrong(path, "a number", j);
      rc = avro_value_set_double(v, j.get<double>());
      break;
    case AVRO_FLOAT:
      if (!j.is_number()) return wrong(path, "a number", j);
      rc = avro_value_set_float(v, j.get<float>());
      break;
    case AVRO_INT32:
      if (!j.is_number_integer()) return wrong(path, "an integer", j);
      rc = avro_value_set_int(v, j.get<int32_t>());
      break;
    case AVRO_INT64:
      if (!j.is_number_integer()) return wrong(path, "an integer", j);
      rc = avro_value_set_long(v, j.get<int64_t>());
      break;
    case AVRO_BOOLEAN:
      if (!j.is_boolean()) return wrong(path, "true or false", j);
      rc = avro_value_set_boolean(v, j.get<bool>() ? 1 : 0);
      break;
    case AVRO_NULL:
      if (!j.is_null()) return wrong(path, "null", j);
      rc = avro_value_set_null(v);
      break;
    default:
      return Status::invalid("Avro field " + path + ": type not supported by the encoder");
  }
  return rc == 0 ? Status::ok() : avro_error("Avro field " + path);
}

// ---- Avro -> JSON ----------------------------------------------------------

Result<Json> to_json(const avro_value_t* v) {
  switch (avro_value_get_type(v)) {
    case AVRO_RECORD:  // fields and map entries both come with their names
    case AVRO_MAP: {
      Json out = Json::object();
      size_t n = 0;
      avro_value_get_size(v, &n);
      for (size_t i = 0; i < n; ++i) {
        avro_value_t field;
        const char* name = nullptr;
        avro_value_get_by_index(v, i, &field, &name);
        auto child = to_json(&field);
        if (!child) return child.status();
        out[name] = std::move(*child);
      }
      return out;
    }
    case AVRO_UNION: {
      avro_value_t branch;
      if (avro_value_get_current_branch(v, &branch) != 0) return avro_error("reading a union");
      return to_json(&branch);
    }
    case AVRO_ARRAY: {
      Json out = Json::array();
      size_t n = 0;
      avro_value_get_size(v, &n);
      for (size_t i = 0; i < n; ++i) {
        avro_value_t item;
        avro_value_get_by_index(v, i, &item, nullptr);
        auto child = to_json(&item);
        if (!child) return child.status();
        out.push_back(std::move(*child));
      }
      return out;
    }
    case AVRO_STRING: {
      const char* s = nullptr;
      size_t size = 0;
      avro_value_get_string(v, &s, &size);
      return Json(std::string(s, size > 0 ? size - 1 : 0));  // size counts the NUL
    }
    case AVRO_BYTES:
    case AVRO_FIXED: {
      const void* b = nullptr;
      size_t size = 0;
      if (avro_value_get_type(v) == AVRO_BYTES)
        avro_value_get_bytes(v, &b, &size);
      else
        avro_value_get_fixed(v, &b, &size);
      const auto* p = static_cast<const uint8_t*>(b);
      return Json::binary(std::vector<uint8_t>(p, p + size));
    }
    case AVRO_ENUM: {
      int symbol = 0;
      avro_value_get_enum(v, &symbol);
      return Json(avro_schema_enum_get(avro_value_get_schema(v), symbol));
    }
    case AVRO_DOUBLE: {
      double d = 0;
      avro_value_get_double(v, &d);
      return number(d);
    }
    case AVRO_FLOAT: {
      float f = 0;
      avro_value_get_float(v, &f);
      return number(f);
    }
    case AVRO_INT32: {
      int32_t i = 0;
      avro_value_get_int(v, &i);
      return Json(i);
    }
    case AVRO_INT64: {
      int64_t i = 0;
      avro_value_get_long(v, &i);
      return Json(i);
    }
    case AVRO_BOOLEAN: {
      int b = 0;
      avro_value_get_boolean(v, &b);
      return Json(b != 0);
    }
    case AVRO_NULL:
      return Json();
    default:
      return Status::invalid("an Avro type the decoder does not read");
  }
}

// ---- The packets -----------------------------------------------------------

Json history_json(const CandidateHistory& h) {
  // Detections and non-detections in one list, oldest first, as ZTF's prv_candidates.
  std::vector<std::pair<double, Json>> rows;
  for (const PreviousDetection& d : h.detections)
    rows.emplace_back(d.mjd, Json{{"candid", d.candidate_id},
                                  {"exposure_id", d.exposure_id},
                                  {"mjd", d.mjd},
                                  {"band", d.band},
                                  {"ra", number(d.ra)},
                                  {"dec", number(d.dec)},
                                  {"flux", number(d.flux)},
                                  {"flux_err", number(d.flux_err)},
                                  {"snr", number(d.snr)},
                                  {"mag", number(d.mag)},
                                  {"mag_err", number(d.mag_err)},
                                  {"real_bogus", number(d.real_bogus)},
                                  {"diffmaglim", nullptr}});
  for (const NonDetection& n : h.non_detections)
    rows.emplace_back(n.mjd, Json{{"candid", nullptr},
                                  {"exposure_id", n.exposure_id},
                                  {"mjd", n.mjd},
                                  {"band", n.band},
                                  {"diffmaglim", number(n.limiting_mag)}});
  std::stable_sort(rows.begin(), rows.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  Json out = Json::array();
  for (auto& [mjd, row] : rows) out.push_back(std::move(row));
  return out;
}

double arcsec_between(double ra1, double dec1, double ra2, double dec2) {
  constexpr double kDeg = M_PI / 180;
  const double s1 = std::sin((dec2 - dec1) * kDeg / 2), s2 = std::sin((ra2 - ra1) * kDeg / 2);
  const double a = s1 * s1 + std::cos(dec1 * kDeg) * std::cos(dec2 * kDeg) * s2 * s2;
  return 2 * std::asin(std::min(1.0, std::sqrt(a))) / kDeg * 3600;
}

Json host_json(const Candidate& c) {
  if (!(c.host_radius > 0)) return nullptr;
  return Json{{"ra", number(c.host_ra)},
              {"dec", number(c.host_dec)},
              {"x", number(c.host_x)},
              {"y", number(c.host_y)},
              {"offset_px", number(c.host_offset)},
              {"offset_arcsec", number(arcsec_between(c.ra, c.dec, c.host_ra, c.host_dec))},
              {"radius_px", number(c.host_radius)},
              {"separation_radii", number(c.host_offset / c.host_radius)},
              {"mag", number(c.host_mag)}};
}

Json classes_json(const ClassProbabilities& p) {
  Json out;
  for (int i = 0; i < kNumClasses; ++i)
    out[std::string(class_name(CandidateClass(i)))] = p.p[size_t(i)];
  out["best"] = std::string(class_name(p.best()));
  out["best_probability"] = p.of(p.best());
  return out;
}

Result<Json> cutout_json(const std::vector<float>& pixels, int size, const std::string& id,
                         const std::string& kind) {
  auto fits = stamp_fits(pixels, size, id, kind);
  if (!fits) return fits.status();
  std::string name = id;
  std::replace(name.begin(), name.end(), ':', '_');
  return Json{{"fileName", "candid" + name + "_" + kind + ".fits"},
              {"stampData", Json::binary(std::vector<uint8_t>(fits->begin(), fits->end()))}};
}

std::string publisher_name() { return std::string("blinkd ") + BLINK_VERSION; }

}  // namespace

const std::string& alert_schema_json() {
  static const std::string s = compose_alert_schema();
  return s;
}

const std::string& verdict_schema_json() {
  static const std::string s = Json::parse(avro_schema_texts().verdict).dump();
  return s;
}

Result<std::string> stamp_fits(const std::vector<float>& pixels, int size,
                               const std::string& candidate_id, const std::string& kind) {
  if (size <= 0 || pixels.size() != size_t(size) * size_t(size))
    return Status::invalid("stamp " + kind + " of " + candidate_id + ": " +
                           std::to_string(pixels.size()) + " pixels for a side of " +
                           std::to_string(size));
  Image image;
  image.width = image.height = size;
  image.pixels.assign(pixels.begin(), pixels.end());
  auto bytes = encode_fits(image, {{"CANDID", candidate_id, "Blink candidate id"},
                                   {"STAMP", kind, "science, template or difference"}});
  if (!bytes)
    return Status::internal("stamp " + kind + " of " + candidate_id + ": " +
                            bytes.status().message());
  return std::string(bytes->begin(), bytes->end());
}

Result<std::string> encode_avro_container(const std::string& schema_json, const Json& value) {
  auto schema = parsed(schema_json);
  if (!schema) return schema.status();
  thread_local ThreadClasses classes;
  avro_value_iface_t* iface = classes.of(*schema);
  if (!iface) return avro_error("making an Avro value class");
  Value record;
  if (avro_generic_value_new(iface, &record.v) != 0) return avro_error("making an Avro value");
  record.set = true;
  if (Status s = fill(&record.v, value, avro_schema_name((*schema)->schema)); !s) return s;

  size_t datum_size = 0;
  if (avro_value_sizeof(&record.v, &datum_size) != 0) return avro_error("sizing an Avro record");
  std::string out = (*schema)->header;
  thread_local std::mt19937_64 random{std::random_device{}()};
  char sync[16];
  for (int i = 0; i < 16; i += 8) {
    uint64_t r = random();
    std::memcpy(sync + i, &r, 8);
  }
  out.append(sync, 16);
  put_long(out, 1);  // one record in the block
  put_long(out, int64_t(datum_size));
  const size_t at = out.size();
  out.resize(at + datum_size);
  avro_writer_t writer = avro_writer_memory(out.data() + at, int64_t(datum_size));
  if (!writer) return avro_error("making an Avro memory writer");
  const int rc = avro_value_write(writer, &record.v);
  avro_writer_free(writer);
  if (rc != 0) return avro_error("writing an Avro record");
  out.append(sync, 16);
  return out;
}

// Reading the container back (Avro spec, "Object Container Files"): the
// header's schema is parsed once per distinct schema and cached, rather than
// by avro_file_reader_*, which parses it for every file and leaks the named
// types' reference cycles each time: a listener would grow all night.
struct ContainerReader {
  std::string_view in;
  size_t at = 0;
  bool ok = true;
  int64_t long_value() {
    uint64_t z = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (at >= in.size()) return ok = false, 0;
      const uint8_t b = uint8_t(in[at++]);
      z |= uint64_t(b & 0x7f) << shift;
      if (!(b & 0x80)) return int64_t(z >> 1) ^ -int64_t(z & 1);
    }
    return ok = false, 0;
  }
  std::string_view bytes() {
    const int64_t n = long_value();
    if (!ok || n < 0 || uint64_t(n) > in.size() - at) return ok = false, std::string_view();
    std::string_view out = in.substr(at, size_t(n));
    at += size_t(n);
    return out;
  }
};

Result<Json> decode_avro_container(std::string_view packet) {
  ContainerReader r{packet};
  if (packet.substr(0, 4) != std::string_view("Obj\x01", 4))
    return Status::invalid("not an Avro object container file (no Obj\\x01 magic)");
  r.at = 4;
  std::string schema_json, codec = "null";
  for (int64_t n = r.long_value(); r.ok && n != 0; n = r.long_value()) {
    if (n < 0) r.long_value();  // a negative count is followed by the block's size
    for (int64_t i = 0; r.ok && i < (n < 0 ? -n : n); ++i) {
      std::string_view key = r.bytes(), value = r.bytes();
      if (key == "avro.schema") schema_json = value;
      if (key == "avro.codec") codec = value;
    }
  }
  if (!r.ok || schema_json.empty()) return Status::invalid("an Avro container header without a schema");
  if (codec != "null") return Status::invalid("Avro codec \"" + codec + "\" is not supported (only null)");
  if (r.at + 16 > packet.size()) return Status::invalid("an Avro container cut short after its header");
  r.at += 16;  // sync marker
  const int64_t records = r.long_value();
  std::string_view block = r.bytes();
  if (!r.ok || records < 1) return Status::invalid("the Avro packet holds no record");
  auto schema = parsed(schema_json);
  if (!schema) return schema.status();
  thread_local ThreadClasses classes;
  avro_value_iface_t* iface = classes.of(*schema);
  if (!iface) return avro_error("making an Avro value for the packet's schema");
  Value record;
  if (avro_generic_value_new(iface, &record.v) != 0) return avro_error("making an Avro value");
  record.set = true;
  avro_reader_t reader = avro_reader_memory(block.data(), int64_t(block.size()));
  if (!reader) return avro_error("making an Avro memory reader");
  const int rc = avro_value_read(reader, &record.v);
  avro_reader_free(reader);
  if (rc != 0) return Status::invalid(std::string("reading an Avro packet: ") + avro_strerror());
  return to_json(&record.v);
}

Result<std::string> encode_alert_avro(const Envelope& e, const std::string& method,
                                      const RoutedCandidate& r) {
  const Candidate& m = r.measured;
  Json c = candidate_json(e, method, r);
  c.erase("schema");  // the packet's schemavsn says it
  c.erase("object");  // the packet's objectId and prv_candidates, and the counts below
  if (!r.model_version.empty()) c["model_version"] = r.model_version;
  c["ref_point_source"] = m.ref_point_source;
  c["class"] = std::string(class_name(r.classes.best()));
  c["classes"] = classes_json(r.classes);  // the JSON form's, with the best class named
  c["anomaly"] = number(r.anomaly);
  c["host"] = host_json(m);
  const CandidateHistory& h = r.history;
  c["new_object"] = h.new_object;
  c["ndethist"] = int(h.detections.size());
  c["nnondet"] = int(h.non_detections.size());
  c["missed_tonight"] = h.missed_tonight;
  c["motion_arcsec_per_hour"] = h.tracklet.empty() ? Json() : number(h.motion_arcsec_per_hour);
  Json tracklet = Json::array();
  for (const TrackletPoint& p : h.tracklet)
    tracklet.push_back({{"candid", p.candidate_id},
                        {"mjd", p.mjd},
                        {"ra", number(p.ra)},
                        {"dec", number(p.dec)},
                        {"mag", number(p.mag)}});
  c["tracklet"] = std::move(tracklet);

  Json alert;
  alert["schemavsn"] = kAvroSchemaVersion;
  alert["publisher"] = publisher_name();
  alert["objectId"] = h.object_id.empty() ? r.candidate_id : h.object_id;
  alert["candid"] = r.candidate_id;
  alert["candidate"] = std::move(c);
  alert["prv_candidates"] = history_json(h);
  const CutoutTriplet* t = r.cutouts.get();
  const std::pair<const char*, const std::vector<float>*> stamps[] = {
      {"science", t ? &t->science : nullptr},
      {"template", t ? &t->reference : nullptr},
      {"difference", t ? &t->difference : nullptr}};
  for (const auto& [kind, pixels] : stamps) {
    std::string key = std::string("cutout") + char(std::toupper(kind[0])) + (kind + 1);
    if (!pixels) {
      alert[key] = nullptr;
      continue;
    }
    auto stamp = cutout_json(*pixels, t->size, r.candidate_id, kind);
    if (!stamp) return stamp.status();
    alert[key] = std::move(*stamp);
  }
  auto packet = encode_avro_container(alert_schema_json(), alert);
  if (!packet)
    return Status::internal("Avro packet of " + r.candidate_id + ": " + packet.status().message());
  return packet;
}

Result<std::string> encode_verdict_avro(const Json& verdict) {
  Json v = verdict;
  v.erase("schema");
  v.erase("seq");
  v["schemavsn"] = kAvroSchemaVersion;
  v["publisher"] = publisher_name();
  auto packet = encode_avro_container(verdict_schema_json(), v);
  if (!packet) {
    std::string id = verdict.value("candidate_id", std::string("?"));
    return Status::internal("Avro verdict of " + id + ": " + packet.status().message());
  }
  return packet;
}

}  // namespace blink
