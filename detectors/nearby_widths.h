// Widths measured at scattered places (the stars' PSF widths) and what the
// nearest of them say anywhere else, so a PSF that varies over the frame is
// compared where the source in question sits.
#pragma once

#include <cstddef>
#include <vector>

namespace blink {

class NearbyWidths {
 public:
  void add(double x, double y, double width) { samples_.push_back({x, y, width}); }
  size_t size() const { return samples_.size(); }

  // The `quantile` (0..1) of the widths of the `count` samples nearest
  // (x, y), leaving out one lying exactly there (the source asked about).
  // 0 when there are fewer than `count` of them.
  double quantile_near(double x, double y, size_t count, double quantile) const;

 private:
  struct Sample {
    double x, y, width;
  };
  std::vector<Sample> samples_;
};

}  // namespace blink
