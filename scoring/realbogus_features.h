// The feature vector the real/bogus model sees: one function from a
// Candidate to named numbers, used by training (blink-train) and scoring
// (blinkd) alike, so the two can never disagree on what a column means.
#pragma once

#include <string>
#include <vector>

#include "candidate.h"

namespace blink {

// The names of the features, in the order real_bogus_features() fills them.
// A model file lists them; loading checks they match this build's.
const std::vector<std::string>& real_bogus_feature_names();

// The features of `c`. Every value is finite for a measured candidate
// (sentinels stand for "no reference source" and "no host"); a non-finite
// measurement (e.g. a NULL read back from a database) becomes NaN, which
// the trees treat as missing.
std::vector<float> real_bogus_features(const Candidate& c);

// Appends the features of each candidate, row after row (row-major,
// real_bogus_feature_names().size() columns).
void append_real_bogus_features(const Candidate& c, std::vector<float>& rows);

}  // namespace blink
