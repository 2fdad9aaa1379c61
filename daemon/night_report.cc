#include "night_report.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "charts.h"

namespace blink {
namespace {

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  double pos = q * double(v.size() - 1);
  size_t i = size_t(pos);
  double f = pos - double(i);
  return i + 1 < v.size() ? v[i] * (1 - f) + v[i + 1] * f : v[i];
}

nlohmann::ordered_json num(double v) {
  return std::isfinite(v) ? nlohmann::ordered_json(v) : nlohmann::ordered_json();
}

std::vector<double> latencies(const NightData& night) {
  std::vector<double> out;
  for (const ExposureRow& e : night.exposures)
    if (e.envelope.kind == ExposureKind::kScience && e.state == ExposureState::kDone &&
        e.finished_unix > 0)
      out.push_back(std::max(0.0, e.finished_unix - e.received_unix));
  return out;
}

// Recovered fraction of injected fakes per half-magnitude bin.
struct CompletenessBin {
  double mag = 0;
  int injected = 0, recovered = 0;
};
std::vector<CompletenessBin> completeness(const NightData& night) {
  std::map<int, CompletenessBin> bins;
  for (const auto& f : night.fakes) {
    if (!std::isfinite(f.mag)) continue;
    int k = int(std::floor(f.mag * 2));
    auto& b = bins[k];
    b.mag = (k + 0.5) / 2;
    b.injected += 1;
    b.recovered += f.recovered ? 1 : 0;
  }
  std::vector<CompletenessBin> out;
  for (auto& [k, b] : bins) out.push_back(b);
  return out;
}

// The magnitude where completeness falls through 50%, interpolated between bins.
double m50(const std::vector<CompletenessBin>& bins) {
  for (size_t i = 1; i < bins.size(); ++i) {
    double a = double(bins[i - 1].recovered) / bins[i - 1].injected;
    double b = double(bins[i].recovered) / bins[i].injected;
    if (a >= 0.5 && b < 0.5) return bins[i - 1].mag + (a - 0.5) / (a - b) * (bins[i].mag - bins[i - 1].mag);
  }
  return NAN;
}

std::string fixed(double v, int digits) {
  if (!std::isfinite(v)) return "–";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

}  // namespace

nlohmann::ordered_json night_summary(const NightData& night, const nlohmann::ordered_json& votes) {
  nlohmann::ordered_json j;
  int science = 0, references = 0, done = 0, rejected = 0, waiting = 0;
  std::map<std::string, int> reasons, methods;
  std::vector<double> noise;
  for (const ExposureRow& e : night.exposures) {
    (e.envelope.kind == ExposureKind::kScience ? science : references) += 1;
    if (e.state == ExposureState::kDone) {
      done += 1;
      if (e.envelope.kind == ExposureKind::kScience) {
        methods[e.method] += 1;
        if (std::isfinite(e.noise_ratio)) noise.push_back(e.noise_ratio);
      }
    } else if (e.state == ExposureState::kRejected) {
      rejected += 1;
      reasons[e.reject_reason] += 1;
    } else {
      waiting += 1;
    }
  }
  j["exposures"] = {{"science", science},   {"reference", references}, {"done", done},
                    {"rejected", rejected}, {"waiting", waiting},      {"rejected_by_reason", reasons},
                    {"methods", methods}};
  j["candidates"] = {{"alert", night.candidates[int(Route::kAlert)]},
                     {"review", night.candidates[int(Route::kReview)]},
                     {"rejected", night.candidates[int(Route::kRejected)]}};
  nlohmann::ordered_json classes;
  for (int k = 0; k < kNumClasses; ++k) classes[std::string(class_name(CandidateClass(k)))] = night.classes[k];
  j["candidates_by_class"] = std::move(classes);
  auto lat = latencies(night);
  int over = 0;
  for (double s : lat) over += s > kLatencyBudgetSeconds ? 1 : 0;
  j["latency_seconds"] = {{"exposures", lat.size()},
                          {"p50", num(quantile(lat, 0.5))},
                          {"p95", num(quantile(lat, 0.95))},
                          {"p99", num(quantile(lat, 0.99))},
                          {"max", num(lat.empty() ? NAN : *std::max_element(lat.begin(), lat.end()))},
                          {"over_budget", over},
                          {"budget", kLatencyBudgetSeconds}};
  auto bins = completeness(night);
  nlohmann::ordered_json curve = nlohmann::ordered_json::array();
  int injected = 0, recovered = 0;
  for (const auto& b : bins) {
    curve.push_back({{"mag", b.mag}, {"injected", b.injected}, {"recovered", b.recovered}});
    injected += b.injected;
    recovered += b.recovered;
  }
  j["fakes"] = {{"injected", injected},
                {"recovered", recovered},
                {"m50", num(m50(bins))},
                {"completeness_by_mag", curve}};
  j["noise_ratio"] = {{"median", num(quantile(noise, 0.5))}, {"p95", num(quantile(noise, 0.95))}};
  j["votes"] = votes;
  return j;
}

std::string night_report_html(const std::string& night_label, const NightData& night,
                              const nlohmann::ordered_json& s, const std::string& vote_svg) {
  using plot::xml_escape;
  std::string h =
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>Blink night report " + xml_escape(night_label) + "</title></head>\n"
      "<body>\n<h1>Blink night report: " + xml_escape(night_label) + "</h1>\n";
  const auto& ex = s["exposures"];
  const auto& lat = s["latency_seconds"];
  const auto& fk = s["fakes"];
  const auto& c = s["candidates"];
  auto n = [](const nlohmann::ordered_json& v) { return v.is_null() ? std::string("–") : v.dump(); };
  h += "<table>\n<tr><th scope=\"row\">Exposures</th><td>" + n(ex["science"]) + " science, " +
       n(ex["reference"]) + " reference; " + n(ex["done"]) + " done, " + n(ex["rejected"]) +
       " rejected, " + n(ex["waiting"]) + " waiting</td></tr>\n";
  std::string reasons;
  for (const auto& [k, v] : ex["rejected_by_reason"].items())
    reasons += (reasons.empty() ? "" : ", ") + xml_escape(k) + " " + v.dump();
  h += "<tr><th scope=\"row\">Rejections</th><td>" + (reasons.empty() ? "none" : reasons) +
       "</td></tr>\n";
  h += "<tr><th scope=\"row\">Candidates</th><td>" + n(c["alert"]) + " alerts, " + n(c["review"]) +
       " to volunteers, " + n(c["rejected"]) + " archived</td></tr>\n";
  h += "<tr><th scope=\"row\">Latency (receive to publish)</th><td>median " +
       fixed(lat["p50"].is_null() ? NAN : lat["p50"].get<double>(), 2) + " s, p95 " +
       fixed(lat["p95"].is_null() ? NAN : lat["p95"].get<double>(), 2) + " s, p99 " +
       fixed(lat["p99"].is_null() ? NAN : lat["p99"].get<double>(), 2) + " s; " +
       n(lat["over_budget"]) + " over the 60 s budget</td></tr>\n";
  h += "<tr><th scope=\"row\">Injected fakes</th><td>" + n(fk["recovered"]) + " of " +
       n(fk["injected"]) + " recovered; 50% completeness at magnitude " +
       fixed(fk["m50"].is_null() ? NAN : fk["m50"].get<double>(), 2) + "</td></tr>\n";
  const auto& v = s["votes"];
  h += "<tr><th scope=\"row\">Volunteers</th><td>" + n(v["votes"]) + " votes by " +
       n(v["volunteers"]) + " volunteers on " + n(v["subjects"]) + " subjects</td></tr>\n</table>\n";

  auto lat_values = latencies(night);
  double hi = kLatencyBudgetSeconds;
  for (double x : lat_values) hi = std::max(hi, x);
  std::vector<plot::Marker> markers;
  if (!lat["p50"].is_null()) markers.push_back({"median", lat["p50"].get<double>()});
  if (!lat["p95"].is_null()) markers.push_back({"p95", lat["p95"].get<double>()});
  markers.push_back({"60 s budget", kLatencyBudgetSeconds});
  h += "<h2>Latency</h2>\n" +
       plot::histogram_svg("Seconds from receiving an exposure to publishing its candidates",
                           "seconds", lat_values, 0, hi * 1.05, 40, markers);
  h += "<h2>Candidates by route</h2>\n" +
       plot::bar_chart_svg("Candidates by route", "candidates",
                           {{"alert", c["alert"].get<double>()},
                            {"review", c["review"].get<double>()},
                            {"archived", c["rejected"].get<double>()}});
  std::vector<plot::Bar> by_class;
  for (const auto& [name, n] : s["candidates_by_class"].items()) by_class.push_back({name, n.get<double>()});
  h += "<h2>Candidates by class</h2>\n" +
       plot::bar_chart_svg("Candidates by most probable class", "candidates", by_class);
  plot::Series curve{"recovered", {}, {}};
  for (const auto& b : fk["completeness_by_mag"]) {
    curve.x.push_back(b["mag"].get<double>());
    curve.y.push_back(double(b["recovered"].get<int>()) / b["injected"].get<int>());
  }
  h += "<h2>Completeness on injected fakes</h2>\n";
  h += curve.x.empty() ? std::string("<p>No fakes were injected (fakes.per_exposure).</p>\n")
                       : plot::line_chart_svg("Share of injected fakes recovered", "magnitude",
                                              "recovered", {curve}, 0, 1);
  std::vector<double> noise;
  for (const ExposureRow& e : night.exposures)
    if (e.state == ExposureState::kDone && std::isfinite(e.noise_ratio) && e.noise_ratio > 0)
      noise.push_back(e.noise_ratio);
  h += "<h2>Difference-image noise</h2>\n" +
       plot::histogram_svg("Measured over expected noise (1 is ideal)", "noise ratio", noise, 0.5,
                           2.0, 30, {{"ideal", 1.0}});
  h += "<h2>Volunteer votes</h2>\n" + vote_svg;
  h += "</body></html>\n";
  return h;
}

}  // namespace blink
