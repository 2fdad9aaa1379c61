// What is published for one candidate: its JSON message on candidate.<route>
// and, when the sink wants it (alerts.avro), its Avro alert packet on
// avro.candidate.<route>. Subscribers to "candidate." keep getting JSON only.
#pragma once

#include <string>
#include <vector>

#include "envelope.h"
#include "publisher.h"
#include "store.h"

namespace blink {

// "avro.candidate.alert", ... and "avro.candidate.verdict".
std::string avro_topic(const std::string& json_topic);

// The JSON message, then the Avro one when `forms` asks for it. An Avro
// packet that cannot be encoded is logged and left out: the JSON still goes.
std::vector<OutgoingMessage> candidate_messages(const Envelope& exposure, const std::string& method,
                                                const RoutedCandidate& candidate, AlertForms forms);

}  // namespace blink
