#include "classes.h"

#include <algorithm>

namespace blink {

std::string_view class_name(CandidateClass c) {
  switch (c) {
    case CandidateClass::kSupernova:
      return "supernova";
    case CandidateClass::kVariable:
      return "variable";
    case CandidateClass::kMoving:
      return "moving";
    case CandidateClass::kNuclear:
      return "nuclear";
    case CandidateClass::kArtefact:
      return "artefact";
  }
  return "artefact";
}

std::optional<CandidateClass> parse_class(std::string_view name) {
  for (int i = 0; i < kNumClasses; ++i)
    if (class_name(CandidateClass(i)) == name) return CandidateClass(i);
  return std::nullopt;
}

CandidateClass ClassProbabilities::best() const {
  return CandidateClass(std::max_element(p.begin(), p.end()) - p.begin());
}

}  // namespace blink
