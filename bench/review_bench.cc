// review_bench: one simulated night of volunteer review (review_sim.h), judged
// three ways on the same candidates and volunteers: the machine score alone,
// a fixed-redundancy majority vote, and SWAP (machine prior, skill-weighted
// votes, retirement). Dawid-Skene on each method's votes is printed as a check.
//
//   review_bench --subjects 2000 --real-fraction 0.3 --seed 1 --svg votes.svg
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

}  // namespace

int main(int argc, char** argv) {
  NightConfig night_config;
  SwapSettings swap;
  int majority_votes = 5;
  std::string bad = "careless", svg_path, trajectories_path;
  double careless_skill = 0.5, adversarial_skill = 0.3;

  CLI::App app{"review_bench: machine vs majority vote vs SWAP on a simulated night"};
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
  app.add_option("--svg", svg_path, "Write a histogram of votes per retired subject");
  app.add_option("--trajectories-svg", trajectories_path, "Write SWAP posterior trajectories");
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

  const Night night = make_night(night_config);
  const MethodRun majority = run_majority(night, majority_votes, swap.schedule);
  const MethodRun swapped = run_swap(night, swap);

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

  int reals = 0, experts = 0, average = 0;
  for (const SimSubject& s : night.subjects) reals += s.real;
  for (const SimVolunteer& v : night.volunteers)
    experts += v.kind == "expert", average += v.kind == "average";
  std::printf(
      "review_bench: seed %llu, %d subjects (%d real), %d volunteers (%d expert, %d average, "
      "%d %s)\n\n",
      (unsigned long long)night_config.seed, night_config.subjects, reals, night_config.volunteers,
      experts, average, night_config.volunteers - experts - average, bad.c_str());
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
  const bool beats = s.purity > m.purity && s.purity > mv.purity &&
                     s.completeness > m.completeness && s.completeness > mv.completeness;
  const bool quick = s.votes && s.votes->median <= 5;
  std::printf(
      "goal (SWAP beats machine and majority on purity and completeness; median votes "
      "<= 5): %s%s\n",
      beats && quick ? "met" : "MISSED",
      beats ? (quick ? "" : " (median votes > 5)") : " (purity or completeness)");

  if (!svg_path.empty() &&
      !write_file(svg_path, votes_histogram_svg(swapped, majority, swap.policy.max_votes)))
    return 1;
  if (!trajectories_path.empty() &&
      !write_file(trajectories_path, trajectories_svg(night, swapped)))
    return 1;
  return 0;
}
