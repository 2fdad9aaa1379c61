// A first real/bogus score from measured features: a logistic model whose
// weights encode what distinguishes a new point source from an artefact.
// (Replaced by a trained model when one is available.)
#pragma once

#include "candidate.h"

namespace blink {

// Probability-like score in [0, 1] that `c` is a real astrophysical change.
double heuristic_real_bogus(const Candidate& c);

}  // namespace blink
