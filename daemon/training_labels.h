// Labelled candidates from a daemon's state (blink.db, read-only): injected
// fakes that were recovered (real), training subjects by their truth,
// subjects the volunteers retired as real or bogus, and archived candidates
// with an unmistakable artefact signature (bogus). Candidates with none of
// these are left out.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "realbogus_training.h"
#include "status.h"

namespace blink::train {

struct DbLabelCounts {
  int fakes = 0, training_truth = 0, verdicts = 0, artefacts = 0, unlabelled = 0;
  bool has_host_columns = false;  // older databases lack them: host features are then missing
};

// Appends to `out`; each candidate's group is "<db path>/<exposure id>".
Result<DbLabelCounts> label_from_database(const std::string& path,
                                          std::vector<LabelledCandidate>& out);

}  // namespace blink::train
