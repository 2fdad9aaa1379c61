// Between the detectors and the store: each candidate's object and history
// (from the store), its classes, its anomaly score and its route. The
// real/bogus score is already on the candidate.
#pragma once

#include <string>
#include <vector>

#include "anomaly_model.h"
#include "association.h"
#include "envelope.h"
#include "router.h"
#include "store.h"

namespace blink {

struct ScoringInputs {
  Store& store;
  const Router& router;
  AnomalyModel& anomaly;
  const AssociationOptions& association;
  std::string model_version;
};

// One RoutedCandidate per candidate, in order (candidate_id, index, history,
// classes, anomaly, route). Injected fakes get no history (they are never
// matched against) but are scored and routed like the rest. When the store
// cannot be read, histories are empty and `warning` says why.
std::vector<RoutedCandidate> score_candidates(const Envelope& exposure,
                                              const std::vector<Candidate>& candidates,
                                              const ScoringInputs& in, std::string& warning);

}  // namespace blink
