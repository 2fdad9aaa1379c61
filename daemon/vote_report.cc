#include "vote_report.h"

#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>
#include <set>

#include "dawid_skene.h"

namespace blink {
namespace {

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string iso_utc(double unix_seconds) {
  std::time_t t = std::time_t(std::floor(unix_seconds));
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

nlohmann::ordered_json number_or_null(double v) {
  return std::isfinite(v) ? nlohmann::ordered_json(v) : nlohmann::ordered_json();
}

// The group a vote's subject is in, for the stacked bars.
std::string group_of(const ExportedVote& v) {
  if (v.training) return "training: " + v.truth;
  if (v.subject_state == "retired") return "retired " + v.verdict;
  return v.subject_state;  // open or escalated
}

}  // namespace

std::string classifications_csv(const std::vector<ExportedVote>& votes,
                                const std::string& workflow_version) {
  std::string out =
      "classification_id,user_name,user_id,workflow_name,workflow_version,created_at,"
      "gold_standard,metadata,annotations,subject_data,subject_ids\r\n";
  for (const ExportedVote& v : votes) {
    const Candidate& c = v.candidate.candidate.measured;
    nlohmann::ordered_json metadata = {{"weight", number_or_null(v.weight)},
                                       {"posterior_after", number_or_null(v.posterior_after)}};
    nlohmann::ordered_json annotations = nlohmann::ordered_json::array();
    annotations.push_back(
        {{"task", "T0"}, {"task_label", "Is this a real new source?"}, {"value", v.answer}});
    if (!v.comment.empty())
      annotations.push_back({{"task", "T1"}, {"task_label", "Comment"}, {"value", v.comment}});
    nlohmann::ordered_json subject = {{"exposure_id", v.candidate.exposure.exposure_id},
                                      {"field", v.candidate.exposure.field},
                                      {"band", v.candidate.exposure.band},
                                      {"ccd", v.candidate.exposure.ccd},
                                      {"mjd_obs", number_or_null(v.candidate.exposure.mjd_obs)},
                                      {"ra", number_or_null(c.ra)},
                                      {"dec", number_or_null(c.dec)},
                                      {"mag", number_or_null(c.mag)},
                                      {"snr", number_or_null(c.snr)},
                                      {"real_bogus", number_or_null(c.real_bogus)},
                                      {"state", v.subject_state},
                                      {"verdict", v.verdict},
                                      {"training", v.training}};
    if (v.training) subject["truth"] = v.truth;
    nlohmann::ordered_json subject_data = {{v.candidate_id, subject}};
    const std::string name =
        v.display_name.empty() ? "deleted-" + std::to_string(v.volunteer_id) : v.display_name;
    auto dump = [](const nlohmann::ordered_json& j) {
      return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    };
    out += std::to_string(v.vote_id) + "," + csv_field(name) + "," +
           std::to_string(v.volunteer_id) + ",blink-real-bogus," + csv_field(workflow_version) +
           "," + iso_utc(v.voted_unix) + "," + (v.training ? "true" : "") + "," +
           csv_field(dump(metadata)) + "," + csv_field(dump(annotations)) + "," +
           csv_field(dump(subject_data)) + "," + csv_field(v.candidate_id) + "\r\n";
  }
  return out;
}

nlohmann::ordered_json vote_report(const std::vector<ExportedVote>& votes) {
  nlohmann::ordered_json report;
  std::map<std::string, int> by_answer;
  std::map<std::string, std::map<std::string, int>> by_group;
  std::map<std::string, int> subjects, volunteers;
  std::map<std::string, std::vector<std::string>> answers_of;  // subject -> answers
  int agree_verdict = 0, with_verdict = 0, training_right = 0, training_answered = 0;
  for (const ExportedVote& v : votes) {
    by_answer[v.answer] += 1;
    by_group[group_of(v)][v.answer] += 1;
    subjects.emplace(v.candidate_id, int(subjects.size()));
    volunteers.emplace(std::to_string(v.volunteer_id), int(volunteers.size()));
    if (v.training) {
      if (v.answer != "odd") {
        training_answered += 1;
        training_right += v.answer == v.truth ? 1 : 0;
      }
      continue;
    }
    answers_of[v.candidate_id].push_back(v.answer);
    if (v.subject_state == "retired" && (v.verdict == "real" || v.verdict == "bogus") &&
        v.answer != "odd") {
      with_verdict += 1;
      agree_verdict += v.answer == v.verdict ? 1 : 0;
    }
  }
  const double total = double(votes.size());
  report["votes"] = votes.size();
  report["subjects"] = subjects.size();
  report["volunteers"] = volunteers.size();
  nlohmann::ordered_json pct;
  for (const char* a : {"real", "bogus", "odd"})
    pct[a] = total > 0 ? 100.0 * by_answer[a] / total : 0.0;
  report["answers_percent"] = pct;
  nlohmann::ordered_json groups = nlohmann::ordered_json::array();
  for (const auto& [group, counts] : by_group) {
    int n = 0;
    for (const auto& [a, k] : counts) n += k;
    nlohmann::ordered_json g = {{"group", group}, {"votes", n}};
    for (const char* a : {"real", "bogus", "odd"})
      g[a + std::string("_percent")] = n > 0 ? 100.0 * (counts.count(a) ? counts.at(a) : 0) / n : 0.0;
    groups.push_back(g);
  }
  report["by_subject_group"] = groups;

  // Pairwise agreement: of all pairs of real/bogus votes on the same subject,
  // the share that agree (chance is 50% for a balanced night).
  double pairs = 0, agreeing = 0;
  for (const auto& [id, answers] : answers_of) {
    int r = 0, b = 0;
    for (const auto& a : answers) {
      if (a == "real") r += 1;
      if (a == "bogus") b += 1;
    }
    pairs += 0.5 * (r + b) * (r + b - 1);
    agreeing += 0.5 * r * (r - 1) + 0.5 * b * (b - 1);
  }
  report["pairwise_agreement"] = pairs > 0 ? nlohmann::ordered_json(agreeing / pairs) : nullptr;
  report["agreement_with_verdict"] =
      with_verdict > 0 ? nlohmann::ordered_json(double(agree_verdict) / with_verdict) : nullptr;
  report["training_accuracy"] = training_answered > 0
                                    ? nlohmann::ordered_json(double(training_right) / training_answered)
                                    : nullptr;

  // Dawid-Skene over the night's candidate votes, compared with SWAP's verdicts.
  std::vector<review::DawidSkeneVote> ds;
  std::map<std::string, int> subject_index, volunteer_index;
  std::map<std::string, std::string> verdict_of;
  for (const ExportedVote& v : votes) {
    if (v.training) continue;
    auto answer = review::parse_answer(v.answer);
    if (!answer) continue;
    int s = subject_index.emplace(v.candidate_id, int(subject_index.size())).first->second;
    int u = volunteer_index.emplace(std::to_string(v.volunteer_id), int(volunteer_index.size()))
                .first->second;
    ds.push_back({s, u, *answer});
    if (v.subject_state == "retired") verdict_of[v.candidate_id] = v.verdict;
  }
  nlohmann::ordered_json check;
  if (!ds.empty()) {
    auto result = review::dawid_skene(ds, int(subject_index.size()), int(volunteer_index.size()));
    if (result) {
      int compared = 0, same = 0;
      for (const auto& [id, idx] : subject_index) {
        auto it = verdict_of.find(id);
        if (it == verdict_of.end() || (it->second != "real" && it->second != "bogus")) continue;
        compared += 1;
        same += (result->p_real[size_t(idx)] > 0.5) == (it->second == "real") ? 1 : 0;
      }
      check["class_prior_real"] = result->class_prior;
      check["iterations"] = result->iterations;
      check["converged"] = result->converged;
      check["retired_subjects_compared"] = compared;
      check["agreement_with_swap"] = compared > 0 ? nlohmann::ordered_json(double(same) / compared)
                                                  : nullptr;
    } else {
      check["error"] = result.status().message();
    }
  }
  report["dawid_skene"] = check;
  return report;
}

std::string vote_report_svg(const nlohmann::ordered_json& report) {
  const auto& groups = report["by_subject_group"];
  const int bar_h = 28, gap = 12, left = 170, width = 420, top = 40;
  const int height = top + int(groups.size()) * (bar_h + gap) + 50;
  std::string svg;
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                "font-family=\"sans-serif\" font-size=\"13\" role=\"img\" "
                "aria-label=\"Votes by subject group\">\n"
                "<text x=\"10\" y=\"22\" font-size=\"15\" font-weight=\"bold\">Votes by subject "
                "group (%d votes)</text>\n",
                left + width + 30, height, report["votes"].get<int>());
  svg += buf;
  const char* colours[3] = {"#2b8a3e", "#c92a2a", "#e8a400"};
  const char* names[3] = {"real", "bogus", "odd"};
  int y = top;
  for (const auto& g : groups) {
    std::snprintf(buf, sizeof buf, "<text x=\"10\" y=\"%d\">%s (%d)</text>\n", y + 19,
                  g["group"].get<std::string>().c_str(), g["votes"].get<int>());
    svg += buf;
    double x = left;
    for (int k = 0; k < 3; ++k) {
      double p = g[std::string(names[k]) + "_percent"].get<double>();
      double w = width * p / 100;
      if (w <= 0) continue;
      std::snprintf(buf, sizeof buf,
                    "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"><title>%s "
                    "%.0f%%</title></rect>\n",
                    x, y, w, bar_h, colours[k], names[k], p);
      svg += buf;
      if (w > 34) {
        std::snprintf(buf, sizeof buf,
                      "<text x=\"%.1f\" y=\"%d\" fill=\"white\" text-anchor=\"middle\">%.0f%%</text>\n",
                      x + w / 2, y + 19, p);
        svg += buf;
      }
      x += w;
    }
    y += bar_h + gap;
  }
  for (int k = 0; k < 3; ++k) {
    std::snprintf(buf, sizeof buf,
                  "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"14\" fill=\"%s\"/><text x=\"%d\" "
                  "y=\"%d\">%s</text>\n",
                  left + k * 90, y + 8, colours[k], left + k * 90 + 20, y + 20, names[k]);
    svg += buf;
  }
  return svg + "</svg>\n";
}

bool night_bounds(const std::string& night, double& from_unix, double& to_unix) {
  int y = 0, m = 0, d = 0;
  char tail = 0;
  if (night.size() != 10 || std::sscanf(night.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
    return false;
  if (m < 1 || m > 12 || d < 1 || d > 31 || y < 1970 || y > 9999) return false;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = m - 1;
  tm.tm_mday = d;
  tm.tm_hour = 12;
  std::time_t t = timegm(&tm);
  if (t == std::time_t(-1)) return false;
  from_unix = double(t);
  to_unix = from_unix + 86400;
  return true;
}

}  // namespace blink
