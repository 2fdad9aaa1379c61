#include "fakes.h"

#include <algorithm>
#include <cmath>

#include "psf_model.h"

namespace blink {
namespace {

uint64_t splitmix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// SplitMix64 with hand-written deviates: the same seed gives the same fakes
// whatever standard library built the binary (std:: distributions are
// implementation-defined).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t r = splitmix64(state_);
    state_ += 0x9e3779b97f4a7c15ULL;
    return r;
  }
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  double uniform(double a, double b) { return a + (b - a) * uniform(); }
  size_t below(size_t n) { return std::min(n - 1, size_t(uniform() * double(n))); }
  double normal() {  // Box-Muller; one deviate per call keeps the stream simple
    double u1 = 1.0 - uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2 * M_PI * u2);
  }

 private:
  uint64_t state_;
};

double lanczos3(double d) {
  d = std::abs(d);
  if (d < 1e-9) return 1;
  if (d >= 3) return 0;
  double pd = M_PI * d;
  return 3.0 * std::sin(pd) * std::sin(pd / 3.0) / (pd * pd);
}

// Weights for integer offsets -2..3 that move a sample by fraction `f`,
// normalised so that shifting conserves the sum exactly.
void shift_weights(double f, double w[6]) {
  double sum = 0;
  for (int d = -2; d <= 3; ++d) sum += w[d + 2] = lanczos3(d - f);
  for (int i = 0; i < 6; ++i) w[i] /= sum;
}

// `psf` (odd size, centred) moved to centre (fx, fy) in [0,1)^2 from the
// middle pixel of a stamp three pixels wider on each side.
Image shifted_psf(const Image& psf, double fx, double fy) {
  const int half = psf.width / 2, reach = half + 3, n = 2 * reach + 1;
  double wx[6], wy[6];
  shift_weights(fx, wx);
  shift_weights(fy, wy);
  Image rows(n, psf.height);  // shifted along x
  for (int y = 0; y < psf.height; ++y)
    for (int u = -reach; u <= reach; ++u) {
      double acc = 0;
      for (int d = -2; d <= 3; ++d) {
        int k = u - d;
        if (k >= -half && k <= half) acc += wx[d + 2] * psf.at(k + half, y);
      }
      rows.at(u + reach, y) = float(acc);
    }
  Image out(n, n);
  for (int v = -reach; v <= reach; ++v)
    for (int u = 0; u < n; ++u) {
      double acc = 0;
      for (int d = -2; d <= 3; ++d) {
        int k = v - d;
        if (k >= -half && k <= half) acc += wy[d + 2] * rows.at(u, k + half);
      }
      out.at(u, v + reach) = float(acc);
    }
  return out;
}

}  // namespace

uint64_t mix_seeds(uint64_t configured, uint64_t per_exposure) {
  return splitmix64(splitmix64(configured) ^ per_exposure);
}

int fake_stamp_half(double psf_fwhm) { return std::clamp(int(std::ceil(2.5 * psf_fwhm)), 7, 25); }

std::vector<InjectedFake> choose_fakes(const FakeOptions& options, const Mask& mask,
                                       const std::vector<Source>& sources, double psf_fwhm,
                                       double magzp) {
  std::vector<InjectedFake> out;
  if (options.per_exposure <= 0 || !(psf_fwhm > 0) || mask.empty()) return out;
  const int w = mask.width, h = mask.height;
  const double margin = fake_stamp_half(psf_fwhm) + 3;
  if (w - 1 <= 2 * margin || h - 1 <= 2 * margin) return out;
  const int core = std::max(1, int(std::ceil(1.5 * psf_fwhm)));
  auto usable = [&](double x, double y) {
    if (x < margin || y < margin || x > w - 1 - margin || y > h - 1 - margin) return false;
    const int cx = int(std::lround(x)), cy = int(std::lround(y));
    for (int dy = -core; dy <= core; ++dy)
      for (int dx = -core; dx <= core; ++dx)
        if (dx * dx + dy * dy <= core * core &&
            (!mask.contains(cx + dx, cy + dy) || mask.at(cx + dx, cy + dy)))
          return false;
    for (const InjectedFake& f : out)
      if (std::hypot(f.x - x, f.y - y) < options.min_separation_px) return false;
    return true;
  };

  // Extended means clearly wider than the PSF (a galaxy of about the PSF's
  // own size or larger). The S/N cut keeps noise-broadened faint stars out,
  // the isolation cut blends of stars, whose moments are wide because a
  // neighbour sits inside them.
  std::vector<const Source*> hosts;
  for (const Source& s : sources)
    if (!s.saturated && !s.near_edge && s.snr >= 10 && s.fwhm >= 1.5 * psf_fwhm &&
        s.isolation >= s.fwhm)
      hosts.push_back(&s);
  const int want_host =
      hosts.empty()
          ? 0
          : int(std::lround(options.per_exposure * std::clamp(options.host_fraction, 0.0, 1.0)));
  const double mag_lo = std::min(options.mag_min, options.mag_max),
               mag_hi = std::max(options.mag_min, options.mag_max);

  Rng rng(options.seed);
  for (int i = 0; i < options.per_exposure; ++i) {
    InjectedFake f;
    bool placed = false;
    for (int attempt = 0; i < want_host && attempt < 50 && !placed; ++attempt) {
      const Source& g = *hosts[rng.below(hosts.size())];
      const double r = rng.uniform(1.0, 3.0) * psf_fwhm, a = rng.uniform(0.0, 2 * M_PI);
      f.x = g.x + r * std::cos(a), f.y = g.y + r * std::sin(a);
      placed = f.near_host = usable(f.x, f.y);
    }
    // Uniform placement, also for a host fake that found no clean spot near any host.
    for (int attempt = 0; attempt < 200 && !placed; ++attempt) {
      f.x = rng.uniform(margin, w - 1 - margin), f.y = rng.uniform(margin, h - 1 - margin);
      placed = usable(f.x, f.y);
    }
    if (!placed) continue;  // too masked or crowded here; the exposure gets fewer fakes
    f.mag = rng.uniform(mag_lo, mag_hi);
    f.flux = std::pow(10.0, -0.4 * (f.mag - magzp));
    f.index = int(out.size());
    out.push_back(f);
  }
  return out;
}

Image fake_psf(const Image& image, const Mask& mask, const std::vector<Source>& stars,
               double psf_fwhm) {
  const int half = fake_stamp_half(psf_fwhm);
  Image psf = empirical_psf(image, mask, stars, half);
  double sum = 0;
  for (float v : psf.pixels) sum += v;
  if (psf.empty() || !(std::abs(sum - 1) < 1e-3)) psf = gaussian_psf(psf_fwhm, half);
  return psf;
}

void inject_fakes(Image& image, const Image& psf, const std::vector<InjectedFake>& fakes,
                  double gain, uint64_t noise_seed) {
  Rng rng(splitmix64(noise_seed ^ 0x6e6f697365ULL));  // a stream apart from the positions'
  for (const InjectedFake& f : fakes) {
    const int cx = int(std::floor(f.x)), cy = int(std::floor(f.y));
    Image stamp = shifted_psf(psf, f.x - cx, f.y - cy);
    const int reach = stamp.width / 2;
    for (int v = 0; v < stamp.height; ++v)
      for (int u = 0; u < stamp.width; ++u) {
        const int x = cx + u - reach, y = cy + v - reach;
        if (!image.contains(x, y)) continue;
        double adu = f.flux * stamp.at(u, v);
        if (gain > 0 && adu > 0) adu += std::sqrt(adu / gain) * rng.normal();
        image.at(x, y) += float(adu);
      }
  }
}

int match_fakes(std::vector<Candidate>& candidates, const std::vector<InjectedFake>& fakes,
                double radius_px) {
  struct Pair {
    double distance;
    int candidate, fake;
  };
  std::vector<Pair> pairs;
  for (size_t c = 0; c < candidates.size(); ++c) {
    candidates[c].fake_index = -1;
    for (size_t f = 0; f < fakes.size(); ++f) {
      double d = std::hypot(candidates[c].x - fakes[f].x, candidates[c].y - fakes[f].y);
      if (d <= radius_px) pairs.push_back({d, int(c), int(f)});
    }
  }
  std::sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) {
    return a.distance != b.distance
               ? a.distance < b.distance
               : (a.candidate != b.candidate ? a.candidate < b.candidate : a.fake < b.fake);
  });
  std::vector<bool> fake_taken(fakes.size(), false);
  int matched = 0;
  for (const Pair& p : pairs) {
    Candidate& c = candidates[p.candidate];
    if (c.fake_index >= 0 || fake_taken[p.fake]) continue;
    c.fake_index = fakes[p.fake].index;
    fake_taken[p.fake] = true;
    ++matched;
  }
  return matched;
}

}  // namespace blink
