#include "report.h"

#include <algorithm>
#include <cmath>

#include "svg_chart.h"

namespace blink::bench {
namespace {

double median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

std::string format(const char* fmt, double a) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, a);
  return buf;
}

constexpr int kLabelWidth = 44, kCellWidth = 16;

}  // namespace

Report::Report(std::vector<std::string> methods, double rb_threshold)
    : methods_(std::move(methods)), rb_threshold_(rb_threshold) {}

void Report::add(const MethodOutcome& o, const ExposureScore& score) {
  sizes_.insert(o.size);
  Column& c = columns_[{o.size, o.method}];
  ++c.exposures;
  for (const auto& [t, cand] : score.transients)
    c.transients.push_back({t.mag, t.expected_snr, o.seeing_ratio, cand != nullptr});
  for (const auto& [cause, k] : score.false_by_cause) c.false_by_cause[cause] += k;
  c.false_total += score.false_total;
  for (double rb : score.false_real_bogus) c.false_kept += rb >= rb_threshold_;
  c.moving += score.moving_found;
  c.noise.push_back(o.noise_ratio);
  c.totals.push_back(o.total_seconds);
  c.peak_rss.push_back(o.peak_rss_mb);
  c.rss_before.push_back(o.rss_before_mb);
  c.child_peak_rss.push_back(o.child_peak_rss_mb);
  c.seeing.push_back(o.seeing_ratio);
  for (const auto& [stage, s] : o.stages) {
    if (std::find(stage_order_.begin(), stage_order_.end(), stage) == stage_order_.end())
      stage_order_.push_back(stage);
    c.stages[stage].push_back(s);
  }
}

const Report::Column* Report::column(int size, const std::string& method) const {
  auto it = columns_.find({size, method});
  return it == columns_.end() ? nullptr : &it->second;
}

void Report::print(std::FILE* out) const {
  for (int size : sizes_) print_size(out, size);
  print_magnitudes(out);
}

void Report::print_size(std::FILE* out, int size) const {
  // One row: a label, then a cell per method ("-" where the method has no figure).
  auto row = [&](const std::string& label, auto&& cell) {
    std::fprintf(out, "%-*s", kLabelWidth, label.c_str());
    for (const std::string& m : methods_) {
      const Column* c = column(size, m);
      std::string v = c ? cell(*c) : "-";
      std::fprintf(out, "%*s", kCellWidth, v.c_str());
    }
    std::fprintf(out, "\n");
  };
  auto completeness = [](const Column& c, double lo, double hi, double r_lo, double r_hi) {
    int n = 0, found = 0;
    for (const Transient& t : c.transients)
      if (t.snr >= lo && t.snr < hi && t.seeing_ratio >= r_lo && t.seeing_ratio < r_hi) ++n, found += t.found;
    if (!n) return std::string("-");
    return format("%.1f%%", 100.0 * found / n) + " (" + std::to_string(n) + ")";
  };
  const Column* any = nullptr;
  for (const std::string& m : methods_)
    if ((any = column(size, m))) break;
  if (!any) return;
  int sharper = 0;
  for (double r : any->seeing) sharper += r < 1;
  auto [lo, hi] = std::minmax_element(any->seeing.begin(), any->seeing.end());
  std::fprintf(out, "\n== %dx%d: %d science exposures, seeing science/reference %.2f-%.2f (%d below 1) ==\n", size,
               size, any->exposures, *lo, *hi, sharper);
  std::fprintf(out, "%-*s", kLabelWidth, "");
  for (const std::string& m : methods_) std::fprintf(out, "%*s", kCellWidth, m.c_str());
  std::fprintf(out, "\n");

  const double inf = 1e30;
  row("completeness S/N>=10 (n)", [&](const Column& c) { return completeness(c, 10, inf, 0, inf); });
  row("completeness S/N 5-10", [&](const Column& c) { return completeness(c, 5, 10, 0, inf); });
  row("completeness S/N>=5", [&](const Column& c) { return completeness(c, 5, inf, 0, inf); });
  row("  S/N>=10, science sharper (ratio<1)", [&](const Column& c) { return completeness(c, 10, inf, 0, 1); });
  row("  S/N>=10, science blurrier (ratio>=1)", [&](const Column& c) { return completeness(c, 10, inf, 1, inf); });
  row("  S/N 5-10, ratio<1", [&](const Column& c) { return completeness(c, 5, 10, 0, 1); });
  row("  S/N 5-10, ratio>=1", [&](const Column& c) { return completeness(c, 5, 10, 1, inf); });

  std::set<std::string> causes;
  for (const std::string& m : methods_)
    if (const Column* c = column(size, m))
      for (const auto& [cause, k] : c->false_by_cause) causes.insert(cause);
  row("false per exposure, before real/bogus",
      [&](const Column& c) { return format("%.1f", double(c.false_total) / c.exposures); });
  for (const std::string& cause : causes)
    row("  " + cause, [&](const Column& c) {
      auto it = c.false_by_cause.find(cause);
      return format("%.1f", it == c.false_by_cause.end() ? 0.0 : double(it->second) / c.exposures);
    });
  row("  + moving objects (real, not transients)",
      [&](const Column& c) { return format("%.1f", double(c.moving) / c.exposures); });
  row(format("false per exposure, real/bogus>=%.2f", rb_threshold_),
      [&](const Column& c) { return format("%.1f", double(c.false_kept) / c.exposures); });
  row("noise ratio, median", [&](const Column& c) { return format("%.3f", median(c.noise)); });

  std::fprintf(out, "time per exposure, median (ms)\n");
  for (const std::string& stage : stage_order_) {
    bool present = false;
    for (const std::string& m : methods_)
      if (const Column* c = column(size, m)) present |= c->stages.count(stage) > 0;
    if (!present) continue;
    row("  " + stage, [&](const Column& c) {
      auto it = c.stages.find(stage);
      return it == c.stages.end() ? std::string("-") : format("%.1f", 1000 * median(it->second));
    });
  }
  row("  whole exposure", [&](const Column& c) { return format("%.1f", 1000 * median(c.totals)); });
  if (const Column* f = column(size, "fitsh")) {
    auto stage_median = [](const Column& c, const std::string& s) {
      auto it = c.stages.find(s);
      return it == c.stages.end() ? NAN : median(it->second);
    };
    row("  whole exposure / fitsh's",
        [&](const Column& c) { return format("%.2fx", median(c.totals) / median(f->totals)); });
    row("  subtract / fitsh's", [&](const Column& c) {
      return format("%.2fx", stage_median(c, "subtract") / stage_median(*f, "subtract"));
    });
  }
  auto max_of = [](const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); };
  row("peak RSS of this process in the step (MB)", [&](const Column& c) { return format("%.0f", max_of(c.peak_rss)); });
  row("  of which held before the step (MB)", [&](const Column& c) { return format("%.0f", median(c.rss_before)); });
  row("peak RSS of the ficonv process (MB)", [&](const Column& c) {
    return max_of(c.child_peak_rss) > 0 ? format("%.0f", max_of(c.child_peak_rss)) : std::string("-");
  });
}

void Report::print_magnitudes(std::FILE* out) const {
  std::fprintf(out, "\n== completeness against injected magnitude, all sizes (found/injected) ==\n%-*s", kLabelWidth,
               "magnitude");
  for (const std::string& m : methods_) std::fprintf(out, "%*s", kCellWidth, m.c_str());
  std::fprintf(out, "\n");
  for (double mag = 14.0; mag < 26.0; mag += 0.5) {
    bool any = false;
    std::string cells;
    for (const std::string& m : methods_) {
      int n = 0, found = 0;
      for (int size : sizes_)
        if (const Column* c = column(size, m))
          for (const Transient& t : c->transients)
            if (t.mag >= mag && t.mag < mag + 0.5) ++n, found += t.found;
      any |= n > 0;
      std::string v = n ? std::to_string(found) + "/" + std::to_string(n) + format(" %3.0f%%", 100.0 * found / n) : "-";
      char buf[64];
      std::snprintf(buf, sizeof buf, "%*s", kCellWidth, v.c_str());
      cells += buf;
    }
    if (any) std::fprintf(out, "%-*s%s\n", kLabelWidth, format("%.1f-", mag).append(format("%.1f", mag + 0.5)).c_str(),
                          cells.c_str());
  }
}

std::string Report::completeness_svg() const {
  std::vector<Series> series;
  for (const std::string& m : methods_) {
    Series s{m, {}, {}};
    for (double mag = 14.0; mag < 26.0; mag += 0.5) {
      int n = 0, found = 0;
      for (int size : sizes_)
        if (const Column* c = column(size, m))
          for (const Transient& t : c->transients)
            if (t.mag >= mag && t.mag < mag + 0.5) ++n, found += t.found;
      if (n) s.x.push_back(mag + 0.25), s.y.push_back(double(found) / n);
    }
    series.push_back(std::move(s));
  }
  return line_chart_svg("Completeness on injected transients", "injected magnitude", "fraction recovered", series, 0,
                        1);
}

}  // namespace blink::bench
