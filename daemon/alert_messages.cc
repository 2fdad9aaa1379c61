#include "alert_messages.h"

#include "alert_avro.h"
#include "candidate_json.h"
#include "log.h"

namespace blink {

std::string avro_topic(const std::string& json_topic) { return "avro." + json_topic; }

std::vector<OutgoingMessage> candidate_messages(const Envelope& e, const std::string& method,
                                                const RoutedCandidate& r, AlertForms forms) {
  std::vector<OutgoingMessage> out;
  const std::string topic = candidate_topic(r.route);
  out.push_back({topic, candidate_json(e, method, r)});
  if (forms == AlertForms::kJsonAndAvro) {
    if (auto packet = encode_alert_avro(e, method, r))
      out.push_back({avro_topic(topic), nullptr, std::move(*packet)});
    else
      log_error(packet.status().message());
  }
  return out;
}

}  // namespace blink
