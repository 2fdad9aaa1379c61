#include "noise.h"

#include <algorithm>
#include <cmath>
#include <thread>
#include <vector>

#include "rng.h"

namespace blink::sim {
namespace {

// Above this many expected electrons the Poisson law is drawn as a normal:
// its skewness, 1/sqrt(lambda), is then below 0.15 and the sum with the read
// noise is one normal draw instead of two.
constexpr double kNormalAbove = 50;

void noise_rows(const Image& expected, uint64_t stream, double gain, double read_noise_e, int y0,
                int y1, Image& out) {
  const double rn2 = read_noise_e * read_noise_e, inv_gain = 1.0 / gain;
  for (int y = y0; y < y1; ++y) {
    Rng rng(stream_seed(stream, Stream::kNoise, {y}));
    const float* in = expected.row(y);
    float* o = out.row(y);
    for (int x = 0; x < expected.width; ++x) {
      const double electrons = std::max(0.0, double(in[x]) * gain);
      double e;
      if (electrons >= kNormalAbove) {
        e = electrons + std::sqrt(electrons + rn2) * rng.normal();
      } else {
        e = rng.poisson(electrons) + read_noise_e * rng.normal();
      }
      o[x] = float(e * inv_gain);
    }
  }
}

}  // namespace

void realise_noise(const Image& expected, uint64_t stream, double gain, double read_noise_e,
                   int threads, Image& out) {
  out = Image(expected.width, expected.height);
  const int n = std::clamp(threads, 1, std::max(1, expected.height / 64));
  if (n == 1) {
    noise_rows(expected, stream, gain, read_noise_e, 0, expected.height, out);
    return;
  }
  std::vector<std::thread> workers;
  for (int i = 0; i < n; ++i) {
    int y0 = expected.height * i / n, y1 = expected.height * (i + 1) / n;
    workers.emplace_back(noise_rows, std::cref(expected), stream, gain, read_noise_e, y0, y1,
                         std::ref(out));
  }
  for (auto& w : workers) w.join();
}

}  // namespace blink::sim
