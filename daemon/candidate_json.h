// The candidate message of wire protocol v1 (schema blink.candidate/1) and
// its ZeroMQ topic. The same JSON serves the PUB socket and the HTTP API.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "envelope.h"
#include "store.h"

namespace blink {

inline constexpr std::string_view kCandidateSchema = "blink.candidate/1";

// "candidate.alert", "candidate.review" or "candidate.rejected".
std::string candidate_topic(Route route);

// "<exposure_id>:<index>".
std::string candidate_id(const std::string& exposure_id, int index);

// The candidate's object and its past, as the "object" member: its id, earlier
// detections, non-detection limits and tracklet (after ZTF's prv_candidates).
nlohmann::ordered_json object_json(const CandidateHistory& history);

// The message body without "seq" (the publisher adds it). Keys in a stable
// order; numbers that are not finite become null.
nlohmann::ordered_json candidate_json(const Envelope& exposure, const std::string& method,
                                      const RoutedCandidate& candidate);

}  // namespace blink
