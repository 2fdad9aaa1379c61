#include "svg_chart.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace blink::bench {

std::string line_chart_svg(const std::string& title, const std::string& x_label, const std::string& y_label,
                           const std::vector<Series>& series, double y_min, double y_max) {
  const double W = 720, H = 420, L = 70, R = 160, T = 40, B = 55;
  double x_min = 1e300, x_max = -1e300;
  for (const auto& s : series)
    for (double v : s.x) x_min = std::min(x_min, v), x_max = std::max(x_max, v);
  if (!(x_max > x_min)) x_min = 0, x_max = 1;
  auto px = [&](double x) { return L + (x - x_min) / (x_max - x_min) * (W - L - R); };
  auto py = [&](double y) { return T + (1 - (y - y_min) / (y_max - y_min)) * (H - T - B); };
  static const char* colours[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};
  std::ostringstream o;
  o << "<svg xmlns='http://www.w3.org/2000/svg' width='" << W << "' height='" << H
    << "' font-family='sans-serif' font-size='12'>\n<rect width='100%' height='100%' fill='white'/>\n";
  o << "<text x='" << W / 2 << "' y='22' text-anchor='middle' font-size='15'>" << title << "</text>\n";
  for (int i = 0; i <= 5; ++i) {
    double yv = y_min + (y_max - y_min) * i / 5, y = py(yv);
    o << "<line x1='" << L << "' x2='" << W - R << "' y1='" << y << "' y2='" << y << "' stroke='#ddd'/>\n";
    o << "<text x='" << L - 6 << "' y='" << y + 4 << "' text-anchor='end'>" << std::round(yv * 100) / 100 << "</text>\n";
    double xv = x_min + (x_max - x_min) * i / 5, x = px(xv);
    o << "<text x='" << x << "' y='" << H - B + 18 << "' text-anchor='middle'>" << std::round(xv * 10) / 10 << "</text>\n";
  }
  o << "<rect x='" << L << "' y='" << T << "' width='" << W - L - R << "' height='" << H - T - B
    << "' fill='none' stroke='#333'/>\n";
  o << "<text x='" << (L + W - R) / 2 << "' y='" << H - 12 << "' text-anchor='middle'>" << x_label << "</text>\n";
  o << "<text transform='translate(18," << (T + H - B) / 2 << ") rotate(-90)' text-anchor='middle'>" << y_label
    << "</text>\n";
  for (size_t k = 0; k < series.size(); ++k) {
    const auto& s = series[k];
    const char* c = colours[k % 6];
    o << "<polyline fill='none' stroke='" << c << "' stroke-width='2' points='";
    for (size_t i = 0; i < s.x.size(); ++i) o << px(s.x[i]) << "," << py(s.y[i]) << " ";
    o << "'/>\n";
    for (size_t i = 0; i < s.x.size(); ++i)
      o << "<circle cx='" << px(s.x[i]) << "' cy='" << py(s.y[i]) << "' r='3' fill='" << c << "'/>\n";
    double ly = T + 10 + 20 * double(k);
    o << "<line x1='" << W - R + 12 << "' x2='" << W - R + 32 << "' y1='" << ly << "' y2='" << ly << "' stroke='" << c
      << "' stroke-width='2'/><text x='" << W - R + 38 << "' y='" << ly + 4 << "'>" << s.label << "</text>\n";
  }
  o << "</svg>\n";
  return o.str();
}

}  // namespace blink::bench
