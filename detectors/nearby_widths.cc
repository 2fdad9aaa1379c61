#include "nearby_widths.h"

#include <algorithm>
#include <utility>

namespace blink {

double NearbyWidths::quantile_near(double x, double y, size_t count, double quantile) const {
  std::vector<std::pair<double, double>> by_distance;  // (distance^2, width)
  by_distance.reserve(samples_.size());
  for (const Sample& s : samples_) {
    const double d2 = (s.x - x) * (s.x - x) + (s.y - y) * (s.y - y);
    if (d2 > 0) by_distance.emplace_back(d2, s.width);
  }
  if (count == 0 || by_distance.size() < count) return 0;
  std::partial_sort(by_distance.begin(), by_distance.begin() + count, by_distance.end());
  std::vector<double> w;
  w.reserve(count);
  for (size_t i = 0; i < count; ++i) w.push_back(by_distance[i].second);
  const size_t k = std::min(count - 1, size_t(quantile * double(count)));
  std::nth_element(w.begin(), w.begin() + k, w.end());
  return w[k];
}

}  // namespace blink
