// Random numbers for the simulator. Every random choice draws from a stream
// whose seed is derived from the run seed and a path naming what the stream is
// for (field, band, ccd, epoch, row...), so any exposure, or any row of its
// noise, can be reproduced without replaying anything else.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>

namespace blink::sim {

// What a stream is for: the first element of every stream path.
enum class Stream : uint64_t {
  kField = 1,
  kCatalogue,
  kDefects,
  kVisit,
  kCcdVisit,
  kInjections,
  kVariables,
  kMovers,
  kNoise,
  kCosmicRays,
};

inline uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

inline uint64_t stream_seed(uint64_t seed, Stream what, std::initializer_list<int64_t> path) {
  uint64_t state = seed;
  uint64_t h = splitmix64(state) ^ static_cast<uint64_t>(what);
  h = splitmix64(h);
  for (int64_t p : path) {
    uint64_t t = h ^ (static_cast<uint64_t>(p) * 0xd1342543de82ef95ULL + 0x632be59bd9b4e019ULL);
    h = splitmix64(t);
  }
  return h;
}

// xoshiro256**: fast, 256-bit state, good enough for Monte Carlo.
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (auto& w : s_) w = splitmix64(seed);
  }

  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  double uniform() { return double(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  double uniform(double a, double b) { return a + (b - a) * uniform(); }
  int uniform_int(int n) { return int(uniform() * n); }  // [0, n)
  bool chance(double p) { return uniform() < p; }
  double log_uniform(double a, double b) { return std::exp(uniform(std::log(a), std::log(b))); }

  // Box-Muller, keeping the second value for the next call.
  double normal() {
    if (have_spare_) {
      have_spare_ = false;
      return spare_;
    }
    double u1 = 1.0 - uniform();  // (0, 1]
    double u2 = uniform();
    double r = std::sqrt(-2.0 * std::log(u1));
    spare_ = r * std::sin(2 * M_PI * u2);
    have_spare_ = true;
    return r * std::cos(2 * M_PI * u2);
  }
  double normal(double mean, double sigma) { return mean + sigma * normal(); }

  // Exact (inversion) below 50 expected counts; the normal approximation above,
  // where its error is far below the other approximations of the simulation.
  double poisson(double lambda) {
    if (lambda <= 0) return 0;
    if (lambda >= 50) return std::max(0.0, std::round(lambda + std::sqrt(lambda) * normal()));
    double u = uniform();
    double p = std::exp(-lambda), cdf = p;
    int k = 0;
    while (u > cdf && k < 1000) {
      ++k;
      p *= lambda / k;
      cdf += p;
    }
    return k;
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
  double spare_ = 0;
  bool have_spare_ = false;
};

}  // namespace blink::sim
