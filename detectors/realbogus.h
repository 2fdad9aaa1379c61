// A first real/bogus score from measured features: a logistic model whose
// weights encode what distinguishes a new point source from an artefact.
// (Replaced by a trained model when one is available.)
#pragma once

#include "candidate.h"

namespace blink {

// Stamped on every candidate (model_version) and exported as blink_model_info;
// change it whenever the weights change.
inline constexpr const char* kHeuristicRealBogusVersion = "heuristic-logistic-1";

// Probability-like score in [0, 1] that `c` is a real astrophysical change.
double heuristic_real_bogus(const Candidate& c);

}  // namespace blink
