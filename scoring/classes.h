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

namespace blink {

// The class probabilities of a candidate whose real_bogus is a calibrated
// probability of being real: artefact takes 1 - real_bogus, and the
// astrophysical classes share real_bogus by how well the context fits each
// (a star under it: variable; a galaxy's centre: nuclear; off a galaxy or
// hostless and new: supernova-like; a linked motion or absent from deep
// earlier exposures tonight: moving). The weights are likelihood ratios in
// words, not a fit; tests/test_classes.cc checks each rule on its own.
ClassProbabilities classify(const Candidate& c, const CandidateHistory& history);

}  // namespace blink
