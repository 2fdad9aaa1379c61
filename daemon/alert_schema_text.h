// The text of the Avro schema files in schema/, compiled into the binary
// (daemon/CMakeLists.txt generates the definition), so that blinkd needs no
// schema files at run time. Composed and parsed in alert_avro.cc.
#pragma once

#include <string_view>

namespace blink {

struct AvroSchemaTexts {
  std::string_view alert;          // schema/blink.alert.avsc
  std::string_view candidate;      // schema/blink.candidate.avsc
  std::string_view prv_candidate;  // schema/blink.prv_candidate.avsc
  std::string_view cutout;         // schema/blink.cutout.avsc
  std::string_view verdict;        // schema/blink.verdict.avsc
};

const AvroSchemaTexts& avro_schema_texts();

}  // namespace blink
