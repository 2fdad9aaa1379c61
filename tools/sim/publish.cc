// The two frames of a wire-protocol message (docs/wire-protocol.md).
#include <nlohmann/json.hpp>

#include "survey.h"

namespace blink::sim {

inline constexpr const char* kEnvelopeSchema = "blink.exposure/1";

std::string envelope_json(const SimExposure& e) {
  // ordered_json keeps the documented key order, which makes logs readable.
  nlohmann::ordered_json j;
  j["schema"] = kEnvelopeSchema;
  j["exposure_id"] = e.exposure_id;
  j["kind"] = e.kind;
  j["field"] = e.field;
  j["band"] = e.band;
  j["ccd"] = e.ccd;
  j["mjd_obs"] = e.mjd_obs;
  j["exptime_s"] = e.exptime_s;
  return j.dump();
}

Result<std::vector<uint8_t>> to_fits(const SimExposure& e) {
  auto bytes = encode_fits(e.image, e.cards, e.compression);
  if (!bytes) return bytes.status().with_context("encoding " + e.exposure_id);
  return bytes;
}

}  // namespace blink::sim
