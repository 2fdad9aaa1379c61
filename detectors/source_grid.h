// A grid index over catalogue positions for "what is near here" queries.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include "sources.h"

namespace blink {

class SourceGrid {
 public:
  // `sources` must outlive the grid; w, h: the image the positions are on.
  SourceGrid(const std::vector<Source>& sources, int w, int h) : sources_(sources) {
    gx_ = w / kCell + 1, gy_ = h / kCell + 1;
    cells_.resize(size_t(gx_) * gy_);
    for (size_t i = 0; i < sources.size(); ++i) {
      int bx = std::clamp(int(sources[i].x) / kCell, 0, gx_ - 1), by = std::clamp(int(sources[i].y) / kCell, 0, gy_ - 1);
      cells_[size_t(by) * gx_ + bx].push_back(int(i));
    }
  }

  // Nearest source within two cells (32 pixels at least), or -1.
  int nearest(double x, double y, double& dist) const {
    int best = -1;
    dist = 1e9;
    for_each_in_cells(x, y, 2, [&](int i) {
      double d = std::hypot(sources_[i].x - x, sources_[i].y - y);
      if (d < dist) dist = d, best = i;
    });
    return best;
  }

  // Calls fn(index, distance) for every source within `radius` pixels.
  template <typename Fn>
  void within(double x, double y, double radius, Fn fn) const {
    const int reach = int(std::ceil(radius / kCell));
    for_each_in_cells(x, y, reach, [&](int i) {
      double d = std::hypot(sources_[i].x - x, sources_[i].y - y);
      if (d <= radius) fn(i, d);
    });
  }

 private:
  template <typename Fn>
  void for_each_in_cells(double x, double y, int reach, Fn fn) const {
    int bx = std::clamp(int(x) / kCell, 0, gx_ - 1), by = std::clamp(int(y) / kCell, 0, gy_ - 1);
    for (int cy = std::max(0, by - reach); cy <= std::min(gy_ - 1, by + reach); ++cy)
      for (int cx = std::max(0, bx - reach); cx <= std::min(gx_ - 1, bx + reach); ++cx)
        for (int i : cells_[size_t(cy) * gx_ + cx]) fn(i);
  }

  static constexpr int kCell = 16;
  const std::vector<Source>& sources_;
  int gx_, gy_;
  std::vector<std::vector<int>> cells_;
};

}  // namespace blink
