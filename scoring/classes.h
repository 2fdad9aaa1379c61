// What a candidate probably is: a small set of classes with probabilities,
// from its measurements, its host galaxy and its history.
#pragma once

#include <array>
#include <cmath>
#include <optional>
#include <string_view>

#include "candidate.h"
#include "history.h"

namespace blink {

enum class CandidateClass { kSupernova, kVariable, kMoving, kNuclear, kArtefact };
inline constexpr int kNumClasses = 5;

// "supernova", "variable", "moving", "nuclear", "artefact".
std::string_view class_name(CandidateClass c);
std::optional<CandidateClass> parse_class(std::string_view name);

struct ClassProbabilities {
  std::array<double, kNumClasses> p{0, 0, 0, 0, 1};  // sums to 1
  double of(CandidateClass c) const { return p[size_t(c)]; }
  CandidateClass best() const;
};

}  // namespace blink
