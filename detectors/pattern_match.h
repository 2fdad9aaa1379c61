// Finding the transformation between two star lists from their patterns
// alone, for images without a usable WCS: similar triangles among each star's
// nearest neighbours vote for a similarity transform (Groth 1986; the method
// of astroalign). Tolerates offsets of any size and rotations of any angle.
#pragma once

#include <vector>

#include "sources.h"

namespace blink {

struct PatternMatch {
  bool ok = false;
  // Reference pixel = (cx[0] + cx[1]*x + cx[2]*y, cy[0] + cy[1]*x + cy[2]*y) for science (x, y).
  double cx[3] = {0, 1, 0};
  double cy[3] = {0, 0, 1};
  int inliers = 0;
  double rotation_deg = 0, scale = 1;
};

// Uses the `max_stars` brightest unsaturated sources of each list.
PatternMatch match_star_patterns(const std::vector<Source>& science, const std::vector<Source>& reference,
                                 int max_stars = 40, double tolerance_px = 2.0);

}  // namespace blink
