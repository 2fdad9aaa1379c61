// How often a volunteer is shown a training (gold-standard) subject instead of
// a candidate: often at first, so their skill is learned quickly, then rarely,
// so experienced volunteers spend their time on real work. Pure functions.
#pragma once

namespace blink::review {

// rate(n) = max(floor, initial * 0.5^(n / half_life)), n = classifications
// the volunteer has made so far (training ones included).
struct TrainingSchedule {
  double initial = 0.5;
  double floor = 0.05;
  double half_life = 20;  // classifications; <= 0 means the rate is `floor`
};

// The probability that the next subject is a training subject, in [0, 1].
double training_rate(int classifications_seen, const TrainingSchedule& schedule = {});

// The choice itself, deterministic given `uniform` drawn from [0, 1):
// training iff uniform < training_rate(classifications_seen).
bool next_is_training(int classifications_seen, double uniform,
                      const TrainingSchedule& schedule = {});

}  // namespace blink::review
