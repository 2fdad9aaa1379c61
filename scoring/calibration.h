// Turning the trees' raw scores into calibrated probabilities: isotonic
// regression (pool-adjacent-violators) fitted on held-out candidates, kept
// as knots and interpolated linearly between them. Stored in the model file.
#pragma once

#include <string>
#include <vector>

#include "status.h"

namespace blink {

// A non-decreasing map from raw score to probability. Outside the knots the
// end values hold. An empty calibration is the identity.
struct Calibration {
  std::string method = "isotonic";
  std::vector<double> x, y;  // knots: x strictly increasing, y non-decreasing in [0, 1]

  double apply(double raw) const;
  // Why these knots are unusable (empty when they are fine).
  std::string problem() const;
};

// Bounds that keep a calibrated probability from claiming certainty.
inline constexpr double kMinCalibrated = 1e-3, kMaxCalibrated = 1 - 1e-3;

// Fits an isotonic calibration to (raw[i], real[i]). Needs at least one
// real and one bogus example.
Result<Calibration> fit_isotonic(const std::vector<double>& raw, const std::vector<int>& real);

}  // namespace blink
