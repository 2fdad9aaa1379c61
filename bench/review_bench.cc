// review_bench: simulated nights of volunteer review (review_sim.h), each
// judged three ways on the same candidates and volunteers: the machine score
// alone, a fixed-redundancy majority vote, and SWAP (machine prior,
// skill-weighted votes, retirement). Dawid-Skene on each method's votes is
// printed as a check. The same volunteers return night after night (a
// --churn share replaced by newcomers), keeping their skill and their count
// of classifications as blinkd does, so night 1 shows a crowd of newcomers
// and later nights a crowd the system has come to know.
//
//   review_bench --subjects 2000 --real-fraction 0.3 --seed 1 --nights 3 --svg votes.svg
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <optional>

#include "review_sim.h"
#include "svg_chart.h"

using namespace blink;
using namespace blink::bench;

namespace {

struct VoteStats {
  double median = 0, mean = 0, p90 = 0;
};

struct Row {
  std::string method;
  double purity = 0, completeness = 0, accuracy = 0;
  std::optional<VoteStats> votes;  // per retired subject
  std::optional<double> retired;   // share of subjects retired
  long classifications = 0;        // training included
};

// Nearest-rank quantile of a non-empty sorted list.
double quantile(const std::vector<int>& sorted, double q) {
  const size_t rank = size_t(std::ceil(q * double(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

Row score_labels(const std::string& method, const Night& night, const std::vector<bool>& label) {
  double tp = 0, fp = 0, fn = 0, tn = 0;
  for (size_t i = 0; i < label.size(); ++i) {
    const bool real = night.subjects[i].real;
    (label[i] ? (real ? tp : fp) : (real ? fn : tn)) += 1;
  }
  Row row;
  row.method = method;
  row.purity = tp + fp > 0 ? tp / (tp + fp) : 0;
  row.completeness = tp + fn > 0 ? tp / (tp + fn) : 0;
  row.accuracy = (tp + tn) / double(label.size());
  return row;
}

Row score_run(const std::string& method, const Night& night, const MethodRun& run) {
  std::vector<bool> label;
  std::vector<int> votes;
  for (const SubjectResult& r : run.subjects) {
    label.push_back(r.label_real);
    if (r.outcome != Outcome::kOpen) votes.push_back(r.votes);
  }
  Row row = score_labels(method, night, label);
  row.classifications = run.classifications;
  row.retired = double(votes.size()) / double(run.subjects.size());
  if (!votes.empty()) {
    std::sort(votes.begin(), votes.end());
    double sum = 0;
    for (int v : votes) sum += v;
    row.votes = VoteStats{quantile(votes, 0.5), sum / double(votes.size()), quantile(votes, 0.9)};
  }
  return row;
}

Row score_dawid_skene(const std::string& method, const Night& night, const MethodRun& run,
                      review::DawidSkeneResult* out) {
  auto ds =
      review::dawid_skene(run.votes, int(night.subjects.size()), int(night.volunteers.size()));
  if (!ds) {
    std::fprintf(stderr, "dawid-skene: %s\n", ds.status().message().c_str());
    Row row;
    row.method = method;
    return row;
  }
  std::vector<bool> label;
  for (double p : ds->p_real) label.push_back(p >= 0.5);
  Row row = score_labels(method, night, label);
  row.classifications = run.classifications;
  *out = std::move(*ds);
  return row;
}

void print_table(const std::vector<Row>& rows) {
  std::printf("%-22s %7s %8s %8s %6s %6s %6s %8s %9s\n", "method", "purity", "complete", "accuracy",
              "v_med", "v_mean", "v_p90", "retired", "classif.");
  for (const Row& r : rows) {
    std::printf("%-22s %7.3f %8.3f %8.3f", r.method.c_str(), r.purity, r.completeness, r.accuracy);
    if (r.votes)
      std::printf(" %6.0f %6.2f %6.0f", r.votes->median, r.votes->mean, r.votes->p90);
    else
      std::printf(" %6s %6s %6s", "-", "-", "-");
    if (r.retired)
      std::printf(" %7.1f%%", 100 * *r.retired);
    else
      std::printf(" %8s", "-");
    if (r.classifications > 0)
      std::printf(" %9ld\n", r.classifications);
    else
      std::printf(" %9s\n", "-");
  }
}

// Mean |estimated - true| of PL and PD over volunteers with >= 10 votes.
template <typename Rates>
double skill_error(const Night& night, const MethodRun& run, const Rates& rates) {
  std::vector<int> votes(night.volunteers.size());
  for (const auto& v : run.votes) ++votes[v.volunteer];
  double sum = 0;
  int n = 0;
  for (size_t j = 0; j < votes.size(); ++j) {
    if (votes[j] < 10) continue;
    const auto [pl, pd] = rates(j);
    sum += std::abs(pl - night.volunteers[j].p_real) + std::abs(pd - night.volunteers[j].p_bogus);
    n += 2;
  }
  return n ? sum / n : 0;
}

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out) std::fprintf(stderr, "could not write %s\n", path.c_str());
  return bool(out);
}

std::string votes_histogram_svg(const MethodRun& swap, const MethodRun& majority, int max_votes) {
  auto histogram = [&](const MethodRun& run, const std::string& label) {
    Series s{label, {}, {}};
    std::vector<double> count(size_t(max_votes) + 1);
    double total = 0;
    for (const SubjectResult& r : run.subjects) {
      if (r.outcome == Outcome::kOpen) continue;
      count[size_t(std::clamp(r.votes, 0, max_votes))] += 1;
      total += 1;
    }
    for (int v = 1; v <= max_votes; ++v) {
      s.x.push_back(v);
      s.y.push_back(total > 0 ? count[size_t(v)] / total : 0);
    }
    return s;
  };
  return line_chart_svg("Votes per retired subject", "votes", "share of retired subjects",
                        {histogram(swap, "SWAP"), histogram(majority, "majority")}, 0, 1);
}

std::string trajectories_svg(const Night& night, const MethodRun& swap) {
  std::vector<Series> series;
  int reals = 0, bogus = 0;
  for (size_t i = 0; i < swap.subjects.size() && reals + bogus < 8; ++i) {
    const SubjectResult& r = swap.subjects[i];
    const bool real = night.subjects[i].real;
    if (r.trajectory.size() < 3 || (real ? reals : bogus) >= 4) continue;
    ++(real ? reals : bogus);
    Series s{std::string(real ? "real" : "bogus") + " #" + std::to_string(i), {}, {}};
    for (size_t k = 0; k < r.trajectory.size(); ++k) {
      s.x.push_back(double(k));
      s.y.push_back(r.trajectory[k]);
    }
    series.push_back(std::move(s));
  }
  return line_chart_svg("SWAP posterior per vote", "votes", "P(real)", series, 0, 1);
}

// Votes to retire per night, SWAP against majority vote (the goal, a SWAP
// median of at most 5, is in the title: a line at 5 would hide majority's).
std::string nights_svg(const std::vector<Row>& swap_rows, const std::vector<Row>& majority_rows) {
  Series median{"SWAP median", {}, {}}, mean{"SWAP mean", {}, {}}, p90{"SWAP p90", {}, {}},
      majority{"majority", {}, {}};
  double top = 5;
  for (size_t k = 0; k < swap_rows.size(); ++k) {
    const double night = double(k + 1);
    if (const auto& v = swap_rows[k].votes) {
      median.x.push_back(night), median.y.push_back(v->median);
      mean.x.push_back(night), mean.y.push_back(v->mean);
      p90.x.push_back(night), p90.y.push_back(v->p90);
      top = std::max(top, v->p90);
    }
    if (const auto& v = majority_rows[k].votes) {
      majority.x.push_back(night), majority.y.push_back(v->mean);
      top = std::max(top, v->mean);
    }
  }
  return line_chart_svg("Votes per retired subject by night (goal: SWAP median <= 5)", "night",
                        "votes", {median, mean, p90, majority}, 0, 5 * std::ceil((top + 1) / 5));
}

// What one night showed, for the summary after the last.
struct NightResult {
  Row majority, swap;
  bool beats = false, quick = false;
};

// Runs both methods over one night from the volunteers' carried state (updated
// in place), prints the night's table and goal line, and keeps both runs in
// `majority` and `swapped` for the charts.
NightResult review_night(const Night& night, const SwapSettings& swap, int majority_votes,
                         VolunteerState& majority_state, VolunteerState& swap_state,
                         MethodRun& majority, MethodRun& swapped) {
  majority = run_majority(night, majority_votes, swap.schedule, majority_state);
  swapped = run_swap(night, swap, swap_state);

  std::vector<bool> machine_label;
  for (const SimSubject& s : night.subjects) machine_label.push_back(s.score >= 0.5);
  review::DawidSkeneResult ds_majority, ds_swap;
  const std::string majority_name = "majority (" + std::to_string(majority_votes) + " votes)";
  std::vector<Row> rows = {
      score_labels("machine (>= 0.5)", night, machine_label),
      score_run(majority_name, night, majority),
      score_run("SWAP", night, swapped),
      score_dawid_skene("DS on majority votes", night, majority, &ds_majority),
      score_dawid_skene("DS on SWAP votes", night, swapped, &ds_swap),
  };
  print_table(rows);

  int outcome[5] = {};
  for (const SubjectResult& r : swapped.subjects) ++outcome[int(r.outcome)];
  std::printf(
      "\nSWAP outcomes: %d retired real, %d retired bogus, %d undecided at %d votes, "
      "%d escalated, %d still open; %ld training classifications, %ld idle slots\n",
      outcome[int(Outcome::kReal)], outcome[int(Outcome::kBogus)],
      outcome[int(Outcome::kUndecided)], swap.policy.max_votes, outcome[int(Outcome::kEscalated)],
      outcome[int(Outcome::kOpen)], swapped.training, swapped.idle);
  std::printf(
      "skill error, mean |estimate - truth| of PL, PD (volunteers with >= 10 votes): "
      "SWAP online %.3f, DS on SWAP votes %.3f, DS on majority votes %.3f\n",
      skill_error(night, swapped,
                  [&](size_t j) {
                    return std::pair{swapped.skills[j].p_real(), swapped.skills[j].p_bogus()};
                  }),
      skill_error(night, swapped,
                  [&](size_t j) {
                    return std::pair{ds_swap.volunteers[j].p_real, ds_swap.volunteers[j].p_bogus};
                  }),
      skill_error(night, majority, [&](size_t j) {
        return std::pair{ds_majority.volunteers[j].p_real, ds_majority.volunteers[j].p_bogus};
      }));
  const Row& m = rows[0];
  const Row& mv = rows[1];
  const Row& s = rows[2];
  NightResult result{mv, s};
  result.beats = s.purity > m.purity && s.purity > mv.purity && s.completeness > m.completeness &&
                 s.completeness > mv.completeness;
  result.quick = s.votes && s.votes->median <= 5;
  std::printf(
      "goal (SWAP beats machine and majority on purity and completeness; median votes "
      "<= 5): %s%s\n",
      result.beats && result.quick ? "met" : "MISSED",
      result.beats ? (result.quick ? "" : " (median votes > 5)") : " (purity or completeness)");
  return result;
}

void print_population(const Night& night, const std::string& bad) {
  int reals = 0, experts = 0, average = 0;
  for (const SimSubject& s : night.subjects) reals += s.real;
  for (const SimVolunteer& v : night.volunteers)
    experts += v.kind == "expert", average += v.kind == "average";
  const int volunteers = int(night.volunteers.size());
  std::printf("%d subjects (%d real), %d volunteers (%d expert, %d average, %d %s)",
              int(night.subjects.size()), reals, volunteers, experts, average,
              volunteers - experts - average, bad.c_str());
}

// "1 (6), 2 (5)": nights and their SWAP median votes.
std::string list_nights(const std::vector<NightResult>& nights, size_t from, bool met) {
  std::string out;
  for (size_t k = from; k < nights.size(); ++k) {
    if ((nights[k].beats && nights[k].quick) != met) continue;
    if (!out.empty()) out += ", ";
    out += std::to_string(k + 1);
  }
  return out.empty() ? "none" : out;
}

// The honest answer to the issue's goal, on the first night and on the later ones.
void print_summary(const std::vector<NightResult>& nights) {
  std::printf("\nsummary over %zu nights (SWAP median votes to retire:", nights.size());
  for (const NightResult& n : nights)
    if (n.swap.votes)
      std::printf(" %.0f", n.swap.votes->median);
    else
      std::printf(" -");
  std::printf(")\n");
  const NightResult& first = nights.front();
  std::printf(
      "  night 1 (every volunteer new): goal %s%s\n", first.beats && first.quick ? "met" : "MISSED",
      first.beats ? (first.quick ? "" : " (median votes > 5)") : " (purity or completeness)");
  int later_met = 0;
  for (size_t k = 1; k < nights.size(); ++k) later_met += nights[k].beats && nights[k].quick;
  const int later = int(nights.size()) - 1;
  std::printf("  later nights (returning volunteers keep their skill): goal met on %d of %d%s%s\n",
              later_met, later, later_met < later ? "; missed on nights " : "",
              later_met < later ? list_nights(nights, 1, false).c_str() : "");
}

}  // namespace

int main(int argc, char** argv) {
  NightConfig night_config;
  SwapSettings swap;
  int majority_votes = 5;
  std::string bad = "careless", svg_path, trajectories_path;
  double careless_skill = 0.5, adversarial_skill = 0.3;

  int nights = 3;
  double churn = 0.2;

  CLI::App app{"review_bench: machine vs majority vote vs SWAP over simulated nights"};
  app.add_option("--nights", nights,
                 "Nights in a row with the same volunteers, who keep their skill")
      ->check(CLI::PositiveNumber);
  app.add_option("--churn", churn, "Share of volunteers replaced by newcomers each later night")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--seed", night_config.seed, "Random seed (the whole night is deterministic)");
  app.add_option("--subjects", night_config.subjects, "Candidates to review")
      ->check(CLI::PositiveNumber);
  app.add_option("--real-fraction", night_config.real_fraction, "Share of real candidates")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--machine-separation", night_config.machine_separation,
                 "Difference of mean logit score, real minus bogus");
  app.add_option("--machine-sigma", night_config.machine_sigma, "Spread of the logit score");
  app.add_option("--volunteers", night_config.volunteers, "Volunteer population")
      ->check(CLI::PositiveNumber);
  app.add_option("--expert-share", night_config.expert_share, "Share of experts");
  app.add_option("--average-share", night_config.average_share,
                 "Share of average volunteers (rest: --bad)");
  app.add_option("--bad", bad, "The rest: careless or adversarial")
      ->check(CLI::IsMember({"careless", "adversarial"}));
  app.add_option("--expert-skill", night_config.expert_skill, "Experts' PL and PD");
  app.add_option("--average-skill", night_config.average_skill, "Average volunteers' PL and PD");
  app.add_option("--careless-skill", careless_skill, "Careless volunteers' PL and PD");
  app.add_option("--adversarial-skill", adversarial_skill, "Adversarial volunteers' PL and PD");
  app.add_option("--odd-rate", night_config.odd_rate, "P(odd) on an ordinary candidate");
  app.add_option("--anomaly-fraction", night_config.anomaly_fraction,
                 "Share of anomaly-flagged candidates");
  app.add_option("--night-hours", night_config.night_hours,
                 "Candidates arrive over this many hours");
  app.add_option("--rate", night_config.classifications_per_hour, "Classifications per hour")
      ->check(CLI::PositiveNumber);
  app.add_option("--session-mean", night_config.session_mean, "Mean classifications per session");
  app.add_option("--max-classifications", night_config.max_classifications,
                 "Stop after (0: 30 per subject)");
  app.add_option("--majority-votes", majority_votes, "Votes per subject for the majority vote")
      ->check(CLI::PositiveNumber);
  app.add_option("--real-threshold", swap.policy.real_threshold, "SWAP: retire real at P >=");
  app.add_option("--bogus-threshold", swap.policy.bogus_threshold, "SWAP: retire bogus at P <=");
  app.add_option("--max-votes", swap.policy.max_votes, "SWAP: retire undecided after");
  app.add_option("--consensus-weight", swap.swap.consensus_weight,
                 "SWAP: skill weight of a retired verdict");
  app.add_option("--skill-prior", swap.swap.prior.rate, "SWAP: newcomer's PL and PD");
  app.add_option("--skill-prior-weight", swap.swap.prior.weight, "SWAP: pseudo-subjects behind it");
  app.add_option("--training-initial", swap.schedule.initial, "Training rate of a newcomer");
  app.add_option("--training-floor", swap.schedule.floor, "Training rate floor");
  app.add_option("--training-half-life", swap.schedule.half_life, "Classifications to halve it");
  app.add_option("--queue-half-life", swap.queue.freshness_half_life_hours,
                 "Queue: freshness half-life (h)");
  app.add_option("--queue-closeness", swap.queue.closeness_weight,
                 "Queue: preference for nearly-retired");
  app.add_option("--svg", svg_path,
                 "Write a histogram of votes per retired subject (one night) or votes per night");
  app.add_option("--trajectories-svg", trajectories_path,
                 "Write SWAP posterior trajectories (last night)");
  CLI11_PARSE(app, argc, argv);

  night_config.bad_skill = bad == "adversarial" ? adversarial_skill : careless_skill;
  if (night_config.expert_share + night_config.average_share > 1) {
    std::fprintf(stderr, "--expert-share + --average-share must be at most 1\n");
    return 2;
  }
  if (blink::Status s = review::validate(swap.policy); !s) {
    std::fprintf(stderr, "%s\n", s.message().c_str());
    return 2;
  }

  // Night 1 is everybody's first; later nights bring back the same people
  // (less churn) with what blinkd kept of them.
  Night night = make_night(night_config);
  const size_t population = night.volunteers.size();
  VolunteerState majority_state(population, swap.swap.prior);
  VolunteerState swap_state(population, swap.swap.prior);
  std::vector<NightResult> results;
  MethodRun last_majority, last_swap;
  for (int index = 1; index <= nights; ++index) {
    int newcomers = int(population);
    if (index > 1) {
      std::vector<int> replaced;
      night = next_night(night_config, index, night.volunteers, churn, replaced);
      for (int j : replaced)
        majority_state.make_newcomer(size_t(j)), swap_state.make_newcomer(size_t(j));
      newcomers = int(replaced.size());
      std::printf("\n");
    }
    if (nights == 1) {
      std::printf("review_bench: seed %llu, ", (unsigned long long)night_config.seed);
      print_population(night, bad);
      std::printf("\n\n");
    } else {
      if (index == 1)
        std::printf("review_bench: seed %llu, %d nights, %.0f%% of volunteers new each night\n\n",
                    (unsigned long long)night_config.seed, nights, 100 * churn);
      std::printf("night %d: ", index);
      print_population(night, bad);
      std::printf("; %d new, %d returning\n\n", newcomers, int(population) - newcomers);
    }
    results.push_back(review_night(night, swap, majority_votes, majority_state, swap_state,
                                   last_majority, last_swap));
  }
  if (nights > 1) print_summary(results);

  if (!svg_path.empty()) {
    std::string svg;
    if (nights == 1) {
      svg = votes_histogram_svg(last_swap, last_majority, swap.policy.max_votes);
    } else {
      std::vector<Row> swap_rows, majority_rows;
      for (const NightResult& r : results)
        swap_rows.push_back(r.swap), majority_rows.push_back(r.majority);
      svg = nights_svg(swap_rows, majority_rows);
    }
    if (!write_file(svg_path, svg)) return 1;
  }
  if (!trajectories_path.empty() &&
      !write_file(trajectories_path, trajectories_svg(night, last_swap)))
    return 1;
  return 0;
}
