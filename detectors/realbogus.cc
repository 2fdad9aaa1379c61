#include "realbogus.h"

#include <algorithm>
#include <cmath>

namespace blink {

double heuristic_real_bogus(const Candidate& c) {
  // Each term is a log-odds penalty for one way artefacts differ from a PSF:
  // too sharp (cosmic rays, hot pixels) or too broad (galaxy residuals),
  // elongated (trails, misaligned edges), beside negative pixels (dipoles),
  // or on masked pixels (saturation, borders). Bright detections earn trust.
  double z = 2.5;
  double lr = c.fwhm_ratio > 0 ? std::log(c.fwhm_ratio) : -2.0;
  z -= 10.0 * std::max(0.0, std::abs(lr) - 0.25);
  z -= 4.0 * std::max(0.0, c.elongation - 1.4);
  z -= 12.0 * c.negative_fraction;
  z -= 1.5 * std::max(0.0, c.sharpness - 1.8);
  if (c.on_mask) z -= 3.0;
  z += 0.8 * std::log(std::max(c.snr, 1.0) / 8.0);
  return 1.0 / (1.0 + std::exp(-z));
}

}  // namespace blink
