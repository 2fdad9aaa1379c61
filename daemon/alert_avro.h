// Alert packets in Avro, in the shape of ZTF's alert schema: one Avro object
// container file per message (null codec, the writer's schema embedded, as ZTF
// sends one per Kafka message), so any Avro reader decodes it without a schema
// registry. The schemas are schema/*.avsc, compiled in (alert_schema_text.h).
// The only user of avro-c; its error codes become blink::Status here.
//
// Thread-safe: the schemas are parsed once; each thread keeps its own avro-c
// value classes.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "envelope.h"
#include "status.h"
#include "store.h"

namespace blink {

inline constexpr std::string_view kAvroSchemaVersion = "1.0";  // "schemavsn" in each packet

// The blink.alert schema as embedded in each packet: schema/blink.alert.avsc
// with blink.candidate, blink.prv_candidate and blink.cutout defined at their
// first use (Avro has no includes). JSON text.
const std::string& alert_schema_json();
// schema/blink.verdict.avsc as embedded in each verdict packet.
const std::string& verdict_schema_json();

// The blink.alert packet of a candidate: its JSON form's fields (the same
// names) plus classes, anomaly, host and history, its earlier detections and
// non-detections as prv_candidates (oldest first), and its cutouts as 63x63
// FITS files (null when the candidate has none).
Result<std::string> encode_alert_avro(const Envelope& exposure, const std::string& method,
                                      const RoutedCandidate& candidate);

// The blink.verdict packet of a verdict's JSON form (blink.verdict/1, as the
// volunteer service publishes it on candidate.verdict).
Result<std::string> encode_verdict_avro(const nlohmann::ordered_json& verdict);

// A stamp as one uncompressed FITS file (BITPIX -32, size x size, NaN kept).
Result<std::string> stamp_fits(const std::vector<float>& pixels, int size,
                               const std::string& candidate_id, const std::string& kind);

// Encodes `value` (a JSON document shaped like `schema_json`, bytes as JSON
// binary values) as an object container file with one record. The schema is
// parsed once per distinct text. Errors name the offending field's path.
Result<std::string> encode_avro_container(const std::string& schema_json,
                                          const nlohmann::ordered_json& value);

// Reads the first record of an object container file with the schema it
// carries, as JSON: records as objects, unions as their branch's value, bytes
// and fixed as JSON binary values, enums as their symbol.
Result<nlohmann::ordered_json> decode_avro_container(std::string_view packet);

}  // namespace blink
