// Collects each method's outcome on each science exposure and prints the
// comparison: one table per image size with a column per method (quality,
// time per stage, peak memory), completeness against injected magnitude,
// and the same curve as an SVG chart.
#pragma once

#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "pipeline.h"
#include "truth_match.h"

namespace blink::bench {

// One method on one science exposure.
struct MethodOutcome {
  std::string method;         // the column: "alard-lupton", "zogy", "fitsh"
  int size = 0;               // image side, pixels
  double seeing_ratio = 0;    // science FWHM / reference FWHM (on the science grid)
  double noise_ratio = 0;     // measured / expected noise of the difference image
  StageTimings stages;        // wall clock per stage, decode included
  double total_seconds = 0;   // the whole exposure
  double peak_rss_mb = 0;     // this process's peak during the step (VmHWM)
  double rss_before_mb = 0;   // this process before the step
  double child_peak_rss_mb = 0;  // fitsh: the ficonv process's own peak
};

class Report {
 public:
  // `methods` fixes the column order; false candidates whose real/bogus
  // score reaches `rb_threshold` are also counted as "kept".
  Report(std::vector<std::string> methods, double rb_threshold);

  void add(const MethodOutcome& outcome, const ExposureScore& score);
  void print(std::FILE* out) const;
  // Completeness against injected magnitude, one line per method, all sizes pooled.
  std::string completeness_svg() const;

 private:
  struct Transient {
    double mag, snr, seeing_ratio;
    bool found;
  };
  struct Column {
    int exposures = 0, false_total = 0, false_kept = 0, moving = 0;
    std::vector<Transient> transients;
    std::map<std::string, int> false_by_cause;
    std::vector<double> noise, totals, peak_rss, rss_before, child_peak_rss, seeing;
    std::map<std::string, std::vector<double>> stages;
  };
  void print_size(std::FILE* out, int size) const;
  void print_magnitudes(std::FILE* out) const;
  const Column* column(int size, const std::string& method) const;

  std::vector<std::string> methods_;
  double rb_threshold_;
  std::set<int> sizes_;
  std::vector<std::string> stage_order_;  // as first seen
  std::map<std::pair<int, std::string>, Column> columns_;
};

}  // namespace blink::bench
