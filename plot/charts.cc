#include "charts.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace blink::plot {
namespace {

const char* kColours[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};

std::string round_text(double v) {
  std::ostringstream o;
  o << std::round(v * 100) / 100;
  return o.str();
}

// The frame, title and axis labels shared by every chart.
void frame(std::ostringstream& o, double W, double H, double L, double R, double T, double B,
           const std::string& title, const std::string& x_label, const std::string& y_label) {
  o << "<svg xmlns='http://www.w3.org/2000/svg' width='" << W << "' height='" << H
    << "' font-family='sans-serif' font-size='12' role='img' aria-label='" << xml_escape(title)
    << "'>\n<rect width='100%' height='100%' fill='white'/>\n";
  o << "<text x='" << W / 2 << "' y='22' text-anchor='middle' font-size='15'>" << xml_escape(title)
    << "</text>\n";
  o << "<rect x='" << L << "' y='" << T << "' width='" << W - L - R << "' height='" << H - T - B
    << "' fill='none' stroke='#333'/>\n";
  o << "<text x='" << (L + W - R) / 2 << "' y='" << H - 12 << "' text-anchor='middle'>"
    << xml_escape(x_label) << "</text>\n";
  o << "<text transform='translate(18," << (T + H - B) / 2 << ") rotate(-90)' text-anchor='middle'>"
    << xml_escape(y_label) << "</text>\n";
}

}  // namespace

std::string xml_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '\'': out += "&#39;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string line_chart_svg(const std::string& title, const std::string& x_label,
                           const std::string& y_label, const std::vector<Series>& series,
                           double y_min, double y_max) {
  const double W = 720, H = 420, L = 70, R = 160, T = 40, B = 55;
  double x_min = 1e300, x_max = -1e300;
  for (const auto& s : series)
    for (double v : s.x) x_min = std::min(x_min, v), x_max = std::max(x_max, v);
  if (!(x_max > x_min)) x_min = 0, x_max = 1;
  if (!(y_max > y_min)) y_max = y_min + 1;
  auto px = [&](double x) { return L + (x - x_min) / (x_max - x_min) * (W - L - R); };
  auto py = [&](double y) { return T + (1 - (y - y_min) / (y_max - y_min)) * (H - T - B); };
  std::ostringstream o;
  frame(o, W, H, L, R, T, B, title, x_label, y_label);
  for (int i = 0; i <= 5; ++i) {
    double yv = y_min + (y_max - y_min) * i / 5, y = py(yv);
    o << "<line x1='" << L << "' x2='" << W - R << "' y1='" << y << "' y2='" << y
      << "' stroke='#ddd'/>\n";
    o << "<text x='" << L - 6 << "' y='" << y + 4 << "' text-anchor='end'>" << round_text(yv)
      << "</text>\n";
    double xv = x_min + (x_max - x_min) * i / 5, x = px(xv);
    o << "<text x='" << x << "' y='" << H - B + 18 << "' text-anchor='middle'>"
      << std::round(xv * 10) / 10 << "</text>\n";
  }
  for (size_t k = 0; k < series.size(); ++k) {
    const auto& s = series[k];
    const char* c = kColours[k % 6];
    const size_t n = std::min(s.x.size(), s.y.size());
    o << "<polyline fill='none' stroke='" << c << "' stroke-width='2' points='";
    for (size_t i = 0; i < n; ++i) o << px(s.x[i]) << "," << py(s.y[i]) << " ";
    o << "'/>\n";
    for (size_t i = 0; i < n; ++i)
      o << "<circle cx='" << px(s.x[i]) << "' cy='" << py(s.y[i]) << "' r='3' fill='" << c
        << "'/>\n";
    double ly = T + 10 + 20 * double(k);
    o << "<line x1='" << W - R + 12 << "' x2='" << W - R + 32 << "' y1='" << ly << "' y2='" << ly
      << "' stroke='" << c << "' stroke-width='2'/><text x='" << W - R + 38 << "' y='" << ly + 4
      << "'>" << xml_escape(s.label) << "</text>\n";
  }
  o << "</svg>\n";
  return o.str();
}

std::string bar_chart_svg(const std::string& title, const std::string& y_label,
                          const std::vector<Bar>& bars) {
  const double W = 520, H = 340, L = 70, R = 20, T = 40, B = 55;
  double top = 0;
  for (const Bar& b : bars) top = std::max(top, b.value);
  if (!(top > 0)) top = 1;
  top *= 1.15;
  std::ostringstream o;
  frame(o, W, H, L, R, T, B, title, "", y_label);
  const double slot = (W - L - R) / std::max<size_t>(1, bars.size());
  for (size_t i = 0; i < bars.size(); ++i) {
    const double h = (H - T - B) * std::max(0.0, bars[i].value) / top;
    const double x = L + slot * double(i) + slot * 0.15;
    o << "<rect x='" << x << "' y='" << H - B - h << "' width='" << slot * 0.7 << "' height='" << h
      << "' fill='" << kColours[i % 6] << "'><title>" << xml_escape(bars[i].label) << ": "
      << round_text(bars[i].value) << "</title></rect>\n";
    o << "<text x='" << x + slot * 0.35 << "' y='" << H - B - h - 5 << "' text-anchor='middle'>"
      << round_text(bars[i].value) << "</text>\n";
    o << "<text x='" << x + slot * 0.35 << "' y='" << H - B + 18 << "' text-anchor='middle'>"
      << xml_escape(bars[i].label) << "</text>\n";
  }
  o << "</svg>\n";
  return o.str();
}

std::string histogram_svg(const std::string& title, const std::string& x_label,
                          const std::vector<double>& values, double lo, double hi, int bins,
                          const std::vector<Marker>& markers) {
  const double W = 720, H = 340, L = 70, R = 20, T = 40, B = 55;
  bins = std::max(1, bins);
  if (!(hi > lo)) hi = lo + 1;
  std::vector<int> counts(size_t(bins), 0);
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    int k = int(std::floor((v - lo) / (hi - lo) * bins));
    counts[size_t(std::clamp(k, 0, bins - 1))] += 1;
  }
  const int peak = std::max(1, *std::max_element(counts.begin(), counts.end()));
  auto px = [&](double x) { return L + (x - lo) / (hi - lo) * (W - L - R); };
  std::ostringstream o;
  frame(o, W, H, L, R, T, B, title, x_label, "count");
  const double bw = (W - L - R) / bins;
  for (int k = 0; k < bins; ++k) {
    const double h = (H - T - B) * counts[size_t(k)] / (peak * 1.1);
    o << "<rect x='" << L + bw * k << "' y='" << H - B - h << "' width='" << std::max(1.0, bw - 1)
      << "' height='" << h << "' fill='#1f77b4'><title>" << counts[size_t(k)]
      << "</title></rect>\n";
  }
  for (int i = 0; i <= 5; ++i) {
    double xv = lo + (hi - lo) * i / 5;
    o << "<text x='" << px(xv) << "' y='" << H - B + 18 << "' text-anchor='middle'>"
      << round_text(xv) << "</text>\n";
  }
  // Counts are whole numbers: ticks at whole steps, never "1, 1, 2, 2".
  const double top = peak * 1.1;
  const int step = std::max(1, int(std::ceil(top / 5)));
  for (int yv = 0; yv <= top; yv += step) {
    const double y = H - B - (H - T - B) * yv / top;
    o << "<text x='" << L - 6 << "' y='" << y + 4 << "' text-anchor='end'>" << yv << "</text>\n";
  }
  for (size_t m = 0; m < markers.size(); ++m) {
    const double x = px(std::clamp(markers[m].x, lo, hi));
    const char* c = kColours[(m + 1) % 6];
    o << "<line x1='" << x << "' x2='" << x << "' y1='" << T << "' y2='" << H - B << "' stroke='"
      << c << "' stroke-dasharray='4 3' stroke-width='2'/>\n";
    o << "<text x='" << x + 4 << "' y='" << T + 14 + 14 * double(m) << "' fill='" << c << "'>"
      << xml_escape(markers[m].label) << "</text>\n";
  }
  o << "</svg>\n";
  return o.str();
}

}  // namespace blink::plot
