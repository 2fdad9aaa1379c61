#include "dawid_skene.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace blink::review {

namespace {

// Sufficient statistics of one volunteer's confusion matrix, soft-counted.
struct Tally {
  double real_as_real = 0, real_as_bogus = 0, bogus_as_bogus = 0, bogus_as_real = 0;
};

void m_step(const std::vector<DawidSkeneVote>& votes, const std::vector<double>& p_real,
            const std::vector<bool>& voted, const SkillPrior& prior, DawidSkeneResult& out) {
  std::vector<Tally> tally(out.volunteers.size());
  for (const DawidSkeneVote& v : votes) {
    const double t = p_real[v.subject];
    Tally& c = tally[v.volunteer];
    if (v.answer == Answer::kReal) {
      c.real_as_real += t;
      c.bogus_as_real += 1 - t;
    } else {
      c.real_as_bogus += t;
      c.bogus_as_bogus += 1 - t;
    }
  }
  const double a = prior.rate * prior.weight;
  for (size_t j = 0; j < tally.size(); ++j) {
    const Tally& c = tally[j];
    out.volunteers[j].p_real =
        (c.real_as_real + a) / (c.real_as_real + c.real_as_bogus + prior.weight);
    out.volunteers[j].p_bogus =
        (c.bogus_as_bogus + a) / (c.bogus_as_bogus + c.bogus_as_real + prior.weight);
  }
  double sum = 0, n = 0;
  for (size_t i = 0; i < p_real.size(); ++i) {
    if (voted[i]) sum += p_real[i], n += 1;
  }
  out.class_prior = (sum + 1) / (n + 2);
}

// Posterior P(real) of every subject given the current rates and prior,
// summed in log space so long vote lists neither underflow nor overflow.
void e_step(const std::vector<DawidSkeneVote>& votes, DawidSkeneResult& out,
            std::vector<double>& log_odds) {
  const double base = std::log(out.class_prior / (1 - out.class_prior));
  std::fill(log_odds.begin(), log_odds.end(), base);
  for (const DawidSkeneVote& v : votes) {
    const DawidSkeneVolunteer& r = out.volunteers[v.volunteer];
    log_odds[v.subject] += v.answer == Answer::kReal ? std::log(r.p_real / (1 - r.p_bogus))
                                                     : std::log((1 - r.p_real) / r.p_bogus);
  }
}

}  // namespace

Result<DawidSkeneResult> dawid_skene(const std::vector<DawidSkeneVote>& all_votes, int n_subjects,
                                     int n_volunteers, const DawidSkeneOptions& options) {
  if (n_subjects < 0 || n_volunteers < 0) return Status::invalid("negative count");
  std::vector<DawidSkeneVote> votes;
  votes.reserve(all_votes.size());
  for (const DawidSkeneVote& v : all_votes) {
    if (v.subject < 0 || v.subject >= n_subjects || v.volunteer < 0 ||
        v.volunteer >= n_volunteers) {
      return Status::invalid("vote (subject " + std::to_string(v.subject) + ", volunteer " +
                             std::to_string(v.volunteer) + ") out of range");
    }
    if (v.answer != Answer::kOdd) votes.push_back(v);
  }

  DawidSkeneResult out;
  out.volunteers.resize(size_t(n_volunteers));
  for (const DawidSkeneVote& v : votes) ++out.volunteers[v.volunteer].votes;

  // Soft majority vote: the share of "real" among a subject's votes.
  std::vector<double> reals(size_t(n_subjects), 0), totals(size_t(n_subjects), 0);
  for (const DawidSkeneVote& v : votes) {
    totals[v.subject] += 1;
    if (v.answer == Answer::kReal) reals[v.subject] += 1;
  }
  std::vector<bool> voted(static_cast<size_t>(n_subjects));
  std::vector<double> p_real(size_t(n_subjects), 0.5);
  for (int i = 0; i < n_subjects; ++i) {
    voted[i] = totals[i] > 0;
    if (voted[i]) p_real[i] = reals[i] / totals[i];
  }

  std::vector<double> log_odds(static_cast<size_t>(n_subjects));
  while (out.iterations < options.max_iterations) {
    ++out.iterations;
    m_step(votes, p_real, voted, options.rate_prior, out);
    e_step(votes, out, log_odds);
    double moved = 0;
    for (int i = 0; i < n_subjects; ++i) {
      const double p = 1 / (1 + std::exp(-log_odds[i]));
      moved = std::max(moved, std::abs(p - p_real[i]));
      p_real[i] = p;
    }
    if (moved <= options.tolerance) {
      out.converged = true;
      break;
    }
  }
  if (out.iterations == 0) m_step(votes, p_real, voted, options.rate_prior, out);
  for (int i = 0; i < n_subjects; ++i) {
    if (!voted[i]) p_real[i] = out.class_prior;
  }
  out.p_real = std::move(p_real);
  return out;
}

}  // namespace blink::review
