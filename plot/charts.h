// Minimal, self-contained SVG charts, so results are looked at, not read:
// benchmark curves and the daemon's night report. Pure functions; every
// label is XML-escaped. Colours and sizes are fixed for a consistent look.
#pragma once

#include <string>
#include <vector>

namespace blink::plot {

struct Series {
  std::string label;
  std::vector<double> x, y;
};

// A line chart with axes, ticks, a legend and one polyline (with points) per series.
std::string line_chart_svg(const std::string& title, const std::string& x_label,
                           const std::string& y_label, const std::vector<Series>& series,
                           double y_min, double y_max);

struct Bar {
  std::string label;
  double value = 0;
};

// Vertical bars, one per category, with the value written above each.
std::string bar_chart_svg(const std::string& title, const std::string& y_label,
                          const std::vector<Bar>& bars);

// A histogram of `values` in `bins` equal bins over [lo, hi] (values outside
// are counted in the end bins), with optional vertical markers (e.g. p50, p95).
struct Marker {
  std::string label;
  double x = 0;
};
std::string histogram_svg(const std::string& title, const std::string& x_label,
                          const std::vector<double>& values, double lo, double hi, int bins,
                          const std::vector<Marker>& markers = {});

// Escapes &, <, >, ' and " for SVG/HTML text and attributes.
std::string xml_escape(const std::string& text);

}  // namespace blink::plot
