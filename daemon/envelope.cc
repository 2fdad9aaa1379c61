#include "envelope.h"

#include <cmath>
#include <nlohmann/json.hpp>

namespace blink {
namespace {

using Json = nlohmann::json;

bool safe_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == ':' || c == '-';
}

// A short, printable rendering of a JSON value for messages.
std::string preview(const Json& v) {
  std::string s = v.dump(-1, ' ', true, Json::error_handler_t::replace);
  if (s.size() > 80) s = s.substr(0, 77) + "...";
  return s;
}

EnvelopeParse bad(std::string message) {
  return {std::nullopt, {RejectReason::kBadEnvelope, std::move(message)}};
}

// Reads a required safe name; returns the problem or "".
std::string read_name(const Json& j, const char* key, std::string& out) {
  auto it = j.find(key);
  if (it == j.end()) return std::string("envelope has no \"") + key + "\"";
  if (!it->is_string() || !is_safe_name(it->get_ref<const std::string&>())) {
    return std::string("\"") + key +
           "\" must be a string of 1-128 characters from A-Z a-z 0-9 . _ : - not starting with "
           "'.', got " +
           preview(*it);
  }
  out = it->get<std::string>();
  return "";
}

std::string read_number(const Json& j, const char* key, double lo, double hi, bool lo_open,
                        double& out) {
  auto it = j.find(key);
  if (it == j.end()) return std::string("envelope has no \"") + key + "\"";
  if (!it->is_number() || !std::isfinite(it->get<double>()) || it->get<double>() > hi ||
      (lo_open ? it->get<double>() <= lo : it->get<double>() < lo)) {
    return std::string("\"") + key + "\" must be a number " +
           (lo_open ? "greater than " : "from ") + std::to_string(int64_t(lo)) +
           (lo_open ? " up to " : " to ") + std::to_string(int64_t(hi)) + ", got " + preview(*it);
  }
  out = it->get<double>();
  return "";
}

}  // namespace

std::string_view exposure_kind_name(ExposureKind kind) {
  return kind == ExposureKind::kReference ? "reference" : "science";
}

std::optional<ExposureKind> parse_exposure_kind(std::string_view name) {
  if (name == "science") return ExposureKind::kScience;
  if (name == "reference") return ExposureKind::kReference;
  return std::nullopt;
}

bool is_safe_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength || name.front() == '.') return false;
  for (char c : name)
    if (!safe_char(c)) return false;
  return true;
}

std::string sanitize_name(std::string_view untrusted) {
  std::string out;
  for (char c : untrusted.substr(0, 64)) out.push_back(safe_char(c) ? c : '_');
  if (!out.empty() && out.front() == '.') out.front() = '_';
  return out.empty() ? "unnamed" : out;
}

std::string Envelope::to_json() const {
  nlohmann::ordered_json j;
  j["schema"] = kExposureSchema;
  j["exposure_id"] = exposure_id;
  j["kind"] = exposure_kind_name(kind);
  j["field"] = field;
  j["band"] = band;
  j["ccd"] = ccd;
  j["mjd_obs"] = mjd_obs;
  j["exptime_s"] = exptime_s;
  return j.dump();
}

EnvelopeParse parse_envelope(std::string_view text) {
  Json j;
  try {
    j = Json::parse(text);
  } catch (const Json::exception& e) {  // parse_error, and out_of_range for a number like 1e999
    // "[json.exception.parse_error.101] parse error at line 1, ...": keep what follows the tag.
    std::string what = e.what();
    auto tag_end = what.find("] ");
    return bad("envelope is not valid JSON: " +
               (tag_end == std::string::npos ? what : what.substr(tag_end + 2)));
  }
  if (!j.is_object()) return bad("envelope must be a JSON object, got " + preview(j));

  auto schema = j.find("schema");
  if (schema == j.end()) return bad("envelope has no \"schema\"");
  if (!schema->is_string()) return bad("\"schema\" must be a string, got " + preview(*schema));
  if (schema->get_ref<const std::string&>() != kExposureSchema) {
    return {std::nullopt,
            {RejectReason::kUnknownSchema, "unknown schema " + preview(*schema) +
                                               " (this daemon reads \"" +
                                               std::string(kExposureSchema) + "\")"}};
  }

  Envelope env;
  std::string problem = read_name(j, "exposure_id", env.exposure_id);
  if (!problem.empty()) return bad(problem);

  auto kind = j.find("kind");
  if (kind == j.end()) return bad("envelope has no \"kind\"");
  auto parsed_kind =
      kind->is_string() ? parse_exposure_kind(kind->get_ref<const std::string&>()) : std::nullopt;
  if (!parsed_kind)
    return bad("\"kind\" must be \"science\" or \"reference\", got " + preview(*kind));
  env.kind = *parsed_kind;

  if (!(problem = read_name(j, "field", env.field)).empty()) return bad(problem);
  if (!(problem = read_name(j, "band", env.band)).empty()) return bad(problem);

  auto ccd = j.find("ccd");
  if (ccd == j.end()) return bad("envelope has no \"ccd\"");
  if (!ccd->is_number_integer() || ccd->get<int64_t>() < 0 || ccd->get<int64_t>() > 100000) {
    return bad("\"ccd\" must be an integer from 0 to 100000, got " + preview(*ccd));
  }
  env.ccd = ccd->get<int>();

  if (!(problem = read_number(j, "mjd_obs", 0, 1e6, false, env.mjd_obs)).empty())
    return bad(problem);
  if (!(problem = read_number(j, "exptime_s", 0, 1e6, true, env.exptime_s)).empty())
    return bad(problem);
  // Optional: the sender's message sequence number; ignored when not a positive integer.
  if (auto seq = j.find("seq"); seq != j.end() && seq->is_number_unsigned())
    env.seq = seq->get<uint64_t>();
  return {std::move(env), {}};
}

}  // namespace blink
