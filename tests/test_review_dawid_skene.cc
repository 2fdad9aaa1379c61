// Dawid-Skene EM (review/dawid_skene): recovers volunteers' confusion matrices
// from votes alone, beats the majority vote, and stays finite on thin data.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <random>

#include "dawid_skene.h"

using namespace blink::review;

namespace {

// Portable uniform [0, 1): std::mt19937 is specified exactly, the standard
// distributions are not.
double uniform(std::mt19937& rng) { return (double(rng()) + 0.5) / 4294967296.0; }

struct Night {
  std::vector<bool> truth;
  std::vector<DawidSkeneVote> votes;
};

struct Rates {
  double pl, pd;
};

// n_subjects, 30% real, each classified by per_subject distinct volunteers.
Night simulate(const std::vector<Rates>& volunteers, uint32_t seed, int n_subjects = 200,
               int per_subject = 5) {
  std::mt19937 rng(seed);
  Night night;
  for (int i = 0; i < n_subjects; ++i) {
    const bool real = uniform(rng) < 0.3;
    night.truth.push_back(real);
    std::vector<int> order(volunteers.size());
    for (size_t j = 0; j < order.size(); ++j) order[j] = int(j);
    for (int k = 0; k < per_subject; ++k) {
      std::swap(order[k], order[k + size_t(uniform(rng) * double(order.size() - k))]);
      const Rates& r = volunteers[order[k]];
      const bool right = uniform(rng) < (real ? r.pl : r.pd);
      const bool says_real = real == right;
      night.votes.push_back({i, order[k], says_real ? Answer::kReal : Answer::kBogus});
    }
  }
  return night;
}

const std::vector<Rates> kCrowd = {{0.95, 0.95}, {0.9, 0.85}, {0.85, 0.9}, {0.8, 0.8},
                                   {0.75, 0.7},  {0.7, 0.75}, {0.65, 0.6}, {0.6, 0.65},
                                   {0.55, 0.55}, {0.3, 0.3}};

}  // namespace

TEST_CASE("dawid-skene: recovers each volunteer's confusion rates from votes alone", "[review]") {
  // Every volunteer sees all 400 subjects: with fewer votes per subject the
  // truth itself is uncertain and so, honestly, are the rates.
  for (uint32_t seed : {1u, 2u, 3u}) {
    const Night night = simulate(kCrowd, seed, 400, 10);
    auto result = dawid_skene(night.votes, 400, 10);
    REQUIRE(result);
    CHECK(result->converged);
    // Compare with what each volunteer actually did on these subjects (the
    // best any method can know), not with the rates they were drawn from.
    std::vector<double> rr(10), rt(10), bb(10), bt(10);
    for (const DawidSkeneVote& v : night.votes) {
      if (night.truth[v.subject]) {
        rt[v.volunteer] += 1;
        rr[v.volunteer] += v.answer == Answer::kReal;
      } else {
        bt[v.volunteer] += 1;
        bb[v.volunteer] += v.answer == Answer::kBogus;
      }
    }
    for (int j = 0; j < 10; ++j) {
      INFO("seed " << seed << " volunteer " << j);
      CHECK(result->volunteers[j].p_real == Approx(rr[j] / rt[j]).margin(0.07));
      CHECK(result->volunteers[j].p_bogus == Approx(bb[j] / bt[j]).margin(0.07));
    }
  }
}

TEST_CASE("dawid-skene: is at least as accurate as the majority vote", "[review]") {
  for (uint32_t seed : {1u, 2u, 3u}) {
    const Night night = simulate(kCrowd, seed);
    auto result = dawid_skene(night.votes, 200, 10);
    REQUIRE(result);
    std::vector<int> reals(200), totals(200);
    for (const DawidSkeneVote& v : night.votes) {
      ++totals[v.subject];
      reals[v.subject] += v.answer == Answer::kReal;
    }
    int ds_right = 0, majority_right = 0;
    for (int i = 0; i < 200; ++i) {
      ds_right += (result->p_real[i] >= 0.5) == night.truth[i];
      majority_right += (2 * reals[i] > totals[i]) == night.truth[i];
    }
    INFO("seed " << seed << ": DS " << ds_right << ", majority " << majority_right);
    CHECK(ds_right >= majority_right);
  }
}

TEST_CASE("dawid-skene: recovers the class prior", "[review]") {
  const Night night = simulate(kCrowd, 4);
  auto result = dawid_skene(night.votes, 200, 10);
  REQUIRE(result);
  const double share = double(std::count(night.truth.begin(), night.truth.end(), true)) / 200;
  CHECK(result->class_prior == Approx(share).margin(0.05));
}

TEST_CASE("dawid-skene: a subject with no votes gets the class prior", "[review]") {
  std::vector<DawidSkeneVote> votes = {
      {0, 0, Answer::kReal}, {0, 1, Answer::kReal}, {1, 0, Answer::kBogus}, {1, 1, Answer::kBogus}};
  auto result = dawid_skene(votes, 3, 2);
  REQUIRE(result);
  CHECK(std::isfinite(result->p_real[2]));
  CHECK(result->p_real[2] == Approx(result->class_prior));
}

TEST_CASE("dawid-skene: a volunteer with a single vote gets finite rates inside (0, 1)",
          "[review]") {
  std::vector<DawidSkeneVote> votes = {{0, 0, Answer::kReal},
                                       {0, 1, Answer::kReal},
                                       {1, 0, Answer::kBogus},
                                       {1, 1, Answer::kBogus},
                                       {1, 2, Answer::kReal}};
  auto result = dawid_skene(votes, 2, 3);
  REQUIRE(result);
  const DawidSkeneVolunteer& single = result->volunteers[2];
  CHECK(single.votes == 1);
  for (double r : {single.p_real, single.p_bogus}) {
    CHECK(std::isfinite(r));
    CHECK(r > 0);
    CHECK(r < 1);
  }
  for (double p : result->p_real) CHECK(std::isfinite(p));
}

TEST_CASE("dawid-skene: no votes at all gives even odds and no NaN", "[review]") {
  auto result = dawid_skene({}, 4, 2);
  REQUIRE(result);
  CHECK(result->class_prior == 0.5);
  for (double p : result->p_real) CHECK(p == 0.5);
  for (const DawidSkeneVolunteer& v : result->volunteers) CHECK(std::isfinite(v.p_real));
}

TEST_CASE("dawid-skene: odd votes are ignored", "[review]") {
  const Night night = simulate(kCrowd, 5);
  std::vector<DawidSkeneVote> with_odd = night.votes;
  for (int i = 0; i < 200; i += 3) with_odd.push_back({i, i % 10, Answer::kOdd});
  auto plain = dawid_skene(night.votes, 200, 10);
  auto odd = dawid_skene(with_odd, 200, 10);
  REQUIRE(plain);
  REQUIRE(odd);
  CHECK(odd->p_real == plain->p_real);
  CHECK(odd->volunteers[3].votes == plain->volunteers[3].votes);
}

TEST_CASE("dawid-skene: stops at max_iterations and says it did not converge", "[review]") {
  DawidSkeneOptions options;
  options.max_iterations = 1;
  auto result = dawid_skene(simulate(kCrowd, 6).votes, 200, 10, options);
  REQUIRE(result);
  CHECK(result->iterations == 1);
  CHECK_FALSE(result->converged);
}

TEST_CASE("dawid-skene: an out-of-range index is an invalid argument", "[review]") {
  auto result = dawid_skene({{5, 0, Answer::kReal}}, 3, 1);
  REQUIRE_FALSE(result);
  CHECK(result.status().code() == blink::Status::Code::kInvalidArgument);
}
