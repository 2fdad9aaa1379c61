#include "training_rate.h"

#include <algorithm>
#include <cmath>

namespace blink::review {

double training_rate(int classifications_seen, const TrainingSchedule& s) {
  const double n = std::max(0, classifications_seen);
  const double decayed = s.half_life > 0 ? s.initial * std::exp2(-n / s.half_life) : s.floor;
  return std::clamp(std::max(s.floor, decayed), 0.0, 1.0);
}

bool next_is_training(int classifications_seen, double uniform, const TrainingSchedule& s) {
  return uniform < training_rate(classifications_seen, s);
}

}  // namespace blink::review
