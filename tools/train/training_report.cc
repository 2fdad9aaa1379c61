#include "training_report.h"

#include <cstdio>

#include "charts.h"
#include "realbogus.h"

namespace blink::train {
namespace {

std::string row(const char* name, const BinaryMetrics& m) {
  char buf[200];
  std::snprintf(buf, sizeof buf, "%-22s %7.4f %7.4f %8.4f %9.3f %12.3f %8d\n", name, m.auc, m.brier,
                m.log_loss, m.purity, m.completeness, m.selected);
  return buf;
}

}  // namespace

std::string figures_text(const TrainingOutcome& o, const double threshold) {
  const HeldOutScores& h = o.held_out;
  char head[240];
  std::snprintf(head, sizeof head,
                "held-out (test) set: %zu candidates, %d real, %zu bogus; alert threshold %.2f\n"
                "%-22s %7s %7s %8s %9s %12s %8s\n",
                h.real.size(), h.model_metrics.n_real, h.real.size() - size_t(h.model_metrics.n_real),
                threshold, "score", "AUC", "Brier", "log-loss", "purity", "completeness", "alerts");
  std::string out = head;
  out += row(o.model->version().c_str(), h.model_metrics);
  out += row(kHeuristicRealBogusVersion, h.heuristic_metrics);
  // The operating point: 1% of artefacts let through, S/N >= 8 reals kept.
  std::vector<bool> bright(h.snr.size());
  for (size_t i = 0; i < h.snr.size(); ++i) bright[i] = h.snr[i] >= 8;
  for (const auto& [name, scores] : {std::pair<std::string, const std::vector<double>*>{o.model->version(), &h.model},
                                     {kHeuristicRealBogusVersion, &h.heuristic}}) {
    OperatingPoint op = completeness_at_fpr(*scores, h.real, 0.01, bright);
    char line[200];
    std::snprintf(line, sizeof line,
                  "%-22s at 1%% false-positive rate (score > %.3f): %.1f%% of %d real with S/N >= 8 kept\n",
                  name.c_str(), op.threshold, 100 * op.completeness, op.counted);
    out += line;
  }
  return out;
}

std::string roc_svg(const HeldOutScores& h) {
  std::vector<plot::Series> series;
  for (const auto& [label, scores] :
       {std::pair<std::string, const std::vector<double>*>{"model", &h.model},
        {"heuristic", &h.heuristic}}) {
    plot::Series s;
    char name[96];
    std::snprintf(name, sizeof name, "%s AUC %.3f", label.c_str(),
                  label == "model" ? h.model_metrics.auc : h.heuristic_metrics.auc);
    s.label = name;
    for (const RocPoint& p : roc_curve(*scores, h.real)) {
      s.x.push_back(p.false_positive_rate);
      s.y.push_back(p.true_positive_rate);
    }
    series.push_back(std::move(s));
  }
  series.push_back({"chance", {0, 1}, {0, 1}});
  return plot::line_chart_svg("Real/bogus ROC on held-out candidates", "false positive rate",
                              "true positive rate (completeness)", series, 0, 1);
}

std::string reliability_svg(const HeldOutScores& h) {
  std::vector<plot::Series> series;
  for (const auto& [label, scores] :
       {std::pair<std::string, const std::vector<double>*>{"model", &h.model},
        {"heuristic", &h.heuristic}}) {
    plot::Series s;
    s.label = label;
    for (const ReliabilityBin& b : reliability_bins(*scores, h.real, 10)) {
      if (b.count == 0) continue;
      s.x.push_back(b.mean_predicted);
      s.y.push_back(b.fraction_real);
    }
    series.push_back(std::move(s));
  }
  series.push_back({"perfectly calibrated", {0, 1}, {0, 1}});
  return plot::line_chart_svg("Reliability on held-out candidates (10 bins)",
                              "predicted probability real", "fraction real", series, 0, 1);
}

}  // namespace blink::train
