#include "rejecter.h"

#include <nlohmann/json.hpp>

#include "clock.h"
#include "log.h"

namespace blink {
namespace {

// The exposure_id of an envelope that failed validation, if it has a string one.
std::string untrusted_id(std::string_view raw) {
  auto j = nlohmann::json::parse(raw, nullptr, /*allow_exceptions=*/false);
  if (j.is_object()) {
    auto it = j.find("exposure_id");
    if (it != j.end() && it->is_string()) return it->get<std::string>();
  }
  return "";
}

}  // namespace

void Rejecter::reject(const Rejection& rejection, const RejectedInput& in) {
  const std::string label(reject_reason_label(rejection.reason));
  std::string id = in.envelope ? in.envelope->exposure_id : untrusted_id(in.raw_envelope);
  metrics_.exposure_rejected(rejection.reason);

  // Appended piece by piece: g++ 12 warns falsely (-Wrestrict) on long chains of string +.
  std::string line = "rejected";
  auto field = [&line](const std::string& piece) { line.append(" ").append(piece); };
  field(kv("exposure", in.envelope ? id : sanitize_name(id)));
  field(kv("reason", label));
  if (in.envelope) {
    field(kv("kind", exposure_kind_name(in.envelope->kind)));
    field(kv("field", in.envelope->field));
    field(kv("band", in.envelope->band));
    field(kv("ccd", in.envelope->ccd));
  }
  field(kv("message", rejection.message));

  if (in.envelope && in.record && rejection.reason != RejectReason::kDuplicate) {
    if (Status s = store_.record_rejection(*in.envelope, in.received_unix, rejection, unix_now());
        !s)
      log_error("cannot record rejection: " + s.message());
  }

  nlohmann::ordered_json note;
  note["reason"] = label;
  note["message"] = rejection.message;
  note["received_unix"] = in.received_unix;
  note["envelope"] = std::string(in.raw_envelope.substr(0, 65536));
  note["payload_bytes"] = in.payload_bytes ? in.payload_bytes : in.payload.size();
  note["payload_kept_bytes"] = in.payload.size();
  auto kept = spool_.quarantine(id.empty() ? "unnamed" : id,
                                note.dump(2, ' ', false, nlohmann::json::error_handler_t::replace),
                                in.payload);
  if (kept) {
    if (!kept->empty()) field(kv("quarantine", *kept));
  } else {
    log_error("cannot quarantine a rejected exposure: " + kept.status().message());
  }
  log_warning(line);
}

}  // namespace blink
