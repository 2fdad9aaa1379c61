// Minimal SVG line charts, so benchmark results are looked at, not read.
#pragma once

#include <string>
#include <vector>

namespace blink::bench {

struct Series {
  std::string label;
  std::vector<double> x, y;
};

// A line chart with axes, ticks, a legend and one polyline per series.
std::string line_chart_svg(const std::string& title, const std::string& x_label, const std::string& y_label,
                           const std::vector<Series>& series, double y_min, double y_max);

}  // namespace blink::bench
