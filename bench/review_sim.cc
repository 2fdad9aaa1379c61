#include "review_sim.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <random>

namespace blink::bench {

using review::Answer;
using review::Truth;

namespace {

// std::mt19937_64 is specified exactly; the standard distributions are not,
// so draws are made here to keep a seed's night the same everywhere.
class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}
  double uniform() { return double(engine_() >> 11) * 0x1.0p-53; }  // [0, 1)
  double normal() {
    const double u = 1.0 - uniform(), v = uniform();
    return std::sqrt(-2 * std::log(u)) * std::cos(2 * std::numbers::pi * v);
  }
  int below(int n) { return std::min(n - 1, int(uniform() * n)); }

 private:
  std::mt19937_64 engine_;
};

// Separate streams, so that what one method shows a volunteer does not change
// who arrives next under another method.
uint64_t stream(uint64_t seed, uint64_t k) { return seed * 0x9E3779B97F4A7C15ull + k; }

double logistic(double x) { return 1 / (1 + std::exp(-x)); }

Answer respond(const NightConfig& c, const SimVolunteer& v, bool real, bool anomaly, Rng& rng) {
  if (rng.uniform() < (anomaly ? c.anomaly_odd_rate : c.odd_rate)) return Answer::kOdd;
  const bool right = rng.uniform() < (real ? v.p_real : v.p_bogus);
  return real == right ? Answer::kReal : Answer::kBogus;
}

// What a review method decides; the night loop below is shared.
class Method {
 public:
  virtual ~Method() = default;
  virtual void train(int volunteer, bool real, Answer answer) = 0;
  // The subject to show, among the first `arrived`, or -1 for none.
  virtual int pick(int volunteer, double hours, int arrived) = 0;
  virtual void record(int subject, int volunteer, Answer answer) = 0;
  virtual int closed() const = 0;
  virtual const char* name() const = 0;
};

bool has_voted(const std::vector<int>& voters, int volunteer) {
  return std::find(voters.begin(), voters.end(), volunteer) != voters.end();
}

// `seen` is each volunteer's classifications so far (training included), read
// for the training share and counted up as the night goes on.
void run_night(const Night& night, const review::TrainingSchedule& schedule, Method& method,
               MethodRun& run, std::vector<int>& seen) {
  const NightConfig& c = night.config;
  Rng arrivals(stream(c.seed, 11)), training(stream(c.seed, 12)), answers(stream(c.seed, 13));
  const int n = int(night.subjects.size());
  const long max_slots = c.max_classifications > 0 ? c.max_classifications : 30L * n;
  int arrived = 0, next_report = n / 10;
  long slot = 0;
  const double stop_session = 1.0 / std::max(1.0, c.session_mean);
  while (slot < max_slots && !night.volunteers.empty()) {
    const int v = arrivals.below(int(night.volunteers.size()));
    bool session = true;
    while (session && slot < max_slots) {
      const double hours = double(slot++) / c.classifications_per_hour;
      while (arrived < n && night.subjects[arrived].arrival_hours <= hours) ++arrived;
      if (arrived == n && method.closed() == n) return;
      if (method.closed() >= next_report && next_report > 0) {
        std::fprintf(stderr, "[%s] %.1f h, %ld classifications, %d/%d subjects done\n",
                     method.name(), hours, run.classifications, method.closed(), n);
        next_report += n / 10;
      }
      session = arrivals.uniform() >= stop_session;
      if (review::next_is_training(seen[v], training.uniform(), schedule)) {
        const bool real = training.uniform() < c.training_real_fraction;
        method.train(v, real, respond(c, night.volunteers[v], real, false, answers));
        ++run.training, ++run.classifications, ++seen[v];
        continue;
      }
      const int s = method.pick(v, hours, arrived);
      if (s < 0) {
        ++run.idle;
        continue;
      }
      const SimSubject& subject = night.subjects[s];
      const Answer a = respond(c, night.volunteers[v], subject.real, subject.anomaly, answers);
      run.votes.push_back({s, v, a});
      method.record(s, v, a);
      ++run.classifications, ++seen[v];
    }
  }
  std::fprintf(stderr, "[%s] stopped at max_classifications %ld with %d/%d subjects done\n",
               method.name(), max_slots, method.closed(), n);
}

class Majority : public Method {
 public:
  Majority(const Night& night, int k, MethodRun& run)
      : night_(night),
        k_(k),
        run_(run),
        voters_(night.subjects.size()),
        reals_(night.subjects.size()),
        bogus_(night.subjects.size()) {}
  void train(int, bool, Answer) override {}
  int pick(int volunteer, double, int arrived) override {
    int best = -1;
    for (int i = 0; i < arrived; ++i) {  // fewest votes, then oldest
      if (run_.subjects[i].outcome != Outcome::kOpen || has_voted(voters_[i], volunteer)) continue;
      if (best < 0 || run_.subjects[i].votes < run_.subjects[best].votes) best = i;
    }
    return best;
  }
  void record(int s, int volunteer, Answer a) override {
    SubjectResult& r = run_.subjects[s];
    voters_[s].push_back(volunteer);
    reals_[s] += a == Answer::kReal;
    bogus_[s] += a == Answer::kBogus;
    r.label_real = reals_[s] != bogus_[s] ? reals_[s] > bogus_[s] : night_.subjects[s].score >= 0.5;
    if (++r.votes >= k_) {
      r.outcome = r.label_real ? Outcome::kReal : Outcome::kBogus;
      ++closed_;
    }
  }
  int closed() const override { return closed_; }
  const char* name() const override { return "majority"; }

 private:
  const Night& night_;
  int k_;
  MethodRun& run_;
  std::vector<std::vector<int>> voters_;
  std::vector<int> reals_, bogus_;
  int closed_ = 0;
};

class Swap : public Method {
 public:
  Swap(const Night& night, const SwapSettings& settings, std::vector<review::Skill>& skills,
       MethodRun& run)
      : night_(night),
        settings_(settings),
        skills_(skills),
        run_(run),
        voters_(night.subjects.size()),
        answers_(night.subjects.size()) {
    for (size_t i = 0; i < night.subjects.size(); ++i) {
      const double prior = review::machine_prior(night.subjects[i].score, settings.swap);
      run_.subjects[i].trajectory = {prior};
      run_.subjects[i].label_real = prior >= 0.5;
    }
  }
  void train(int v, bool real, Answer a) override {
    skills_[v].observe(real ? Truth::kReal : Truth::kBogus, a, 1.0);
  }
  int pick(int volunteer, double hours, int arrived) override {
    int best = -1;
    double best_priority = -1;
    for (int i = 0; i < arrived; ++i) {
      const SubjectResult& r = run_.subjects[i];
      if (r.outcome != Outcome::kOpen || has_voted(voters_[i], volunteer)) continue;
      const SimSubject& s = night_.subjects[i];
      const double p =
          review::queue_priority({hours - s.arrival_hours, r.trajectory.back(), r.votes, s.anomaly},
                                 settings_.policy, settings_.queue);
      if (p > best_priority) best = i, best_priority = p;
    }
    return best;
  }
  void record(int s, int v, Answer a) override {
    SubjectResult& r = run_.subjects[s];
    const review::Skill& skill = skills_[v];
    const double p = review::update_posterior(r.trajectory.back(), a, skill);
    r.trajectory.push_back(p);
    r.label_real = p >= 0.5;
    voters_[s].push_back(v);
    answers_[s].push_back(a);
    const review::Decision d = review::decide(p, ++r.votes, a, skill, settings_.policy).decision;
    if (d == review::Decision::kContinue) return;
    ++closed_;
    switch (d) {
      case review::Decision::kRetireReal:
        r.outcome = Outcome::kReal;
        break;
      case review::Decision::kRetireBogus:
        r.outcome = Outcome::kBogus;
        break;
      case review::Decision::kRetireUndecided:
        r.outcome = Outcome::kUndecided;
        break;
      default:
        r.outcome = Outcome::kEscalated;
        break;
    }
    if (r.outcome == Outcome::kReal || r.outcome == Outcome::kBogus) {
      const Truth verdict = r.outcome == Outcome::kReal ? Truth::kReal : Truth::kBogus;
      for (size_t k = 0; k < voters_[s].size(); ++k)
        skills_[voters_[s][k]].observe(verdict, answers_[s][k], settings_.swap.consensus_weight);
    }
  }
  int closed() const override { return closed_; }
  const char* name() const override { return "swap"; }

 private:
  const Night& night_;
  const SwapSettings& settings_;
  std::vector<review::Skill>& skills_;  // the volunteers' carried state
  MethodRun& run_;
  std::vector<std::vector<int>> voters_;
  std::vector<std::vector<Answer>> answers_;
  int closed_ = 0;
};

SimVolunteer draw_volunteer(const NightConfig& c, Rng& rng) {
  const char* bad = c.bad_skill < 0.5 ? "adversarial" : "careless";
  const double u = rng.uniform();
  SimVolunteer v;
  double skill;
  if (u < c.expert_share)
    v.kind = "expert", skill = c.expert_skill;
  else if (u < c.expert_share + c.average_share)
    v.kind = "average", skill = c.average_skill;
  else
    v.kind = bad, skill = c.bad_skill;
  auto jitter = [&] {
    return std::clamp(skill + c.skill_jitter * (2 * rng.uniform() - 1), 0.01, 0.99);
  };
  v.p_real = jitter();
  v.p_bogus = jitter();
  return v;
}

}  // namespace

Night make_night(const NightConfig& c) {
  Night night;
  night.config = c;
  Rng rng(stream(c.seed, 1));
  const double lo = std::log(c.review_low / (1 - c.review_low));
  const double hi = std::log(c.review_high / (1 - c.review_high));
  for (int i = 0; i < c.subjects; ++i) {
    SimSubject s;
    s.real = rng.uniform() < c.real_fraction;
    s.anomaly = rng.uniform() < c.anomaly_fraction;
    const double mean = (s.real ? 0.5 : -0.5) * c.machine_separation;
    double x;
    do x = mean + c.machine_sigma * rng.normal();
    while (hi > lo && (x < lo || x >= hi));
    s.score = logistic(x);
    s.arrival_hours = rng.uniform() * c.night_hours;
    night.subjects.push_back(s);
  }
  std::sort(
      night.subjects.begin(), night.subjects.end(),
      [](const SimSubject& a, const SimSubject& b) { return a.arrival_hours < b.arrival_hours; });
  for (int j = 0; j < c.volunteers; ++j) night.volunteers.push_back(draw_volunteer(c, rng));
  return night;
}

Night next_night(const NightConfig& config, int index, const std::vector<SimVolunteer>& returning,
                 double churn, std::vector<int>& replaced) {
  NightConfig c = config;
  c.seed = stream(config.seed, 1000 + uint64_t(index));
  c.volunteers = int(returning.size());
  Night night = make_night(c);  // its own volunteers are discarded
  night.volunteers = returning;
  Rng rng(stream(c.seed, 2));
  replaced.clear();
  for (size_t j = 0; j < night.volunteers.size(); ++j) {
    if (rng.uniform() >= churn) continue;
    night.volunteers[j] = draw_volunteer(c, rng);
    replaced.push_back(int(j));
  }
  return night;
}

VolunteerState::VolunteerState(size_t volunteers, review::SkillPrior p)
    : prior(p), skills(volunteers, review::Skill(p)), classifications(volunteers, 0) {}

void VolunteerState::make_newcomer(size_t j) {
  skills[j] = review::Skill(prior);
  classifications[j] = 0;
}

MethodRun run_majority(const Night& night, int votes_per_subject,
                       const review::TrainingSchedule& schedule, VolunteerState& state) {
  MethodRun run;
  run.subjects.resize(night.subjects.size());
  for (size_t i = 0; i < night.subjects.size(); ++i)
    run.subjects[i].label_real = night.subjects[i].score >= 0.5;
  Majority method(night, votes_per_subject, run);
  run_night(night, schedule, method, run, state.classifications);
  return run;
}

MethodRun run_swap(const Night& night, const SwapSettings& settings, VolunteerState& state) {
  MethodRun run;
  run.subjects.resize(night.subjects.size());
  Swap method(night, settings, state.skills, run);
  run_night(night, settings.schedule, method, run, state.classifications);
  run.skills = state.skills;
  return run;
}

}  // namespace blink::bench
