#include "stretch.h"

#include <algorithm>
#include <cmath>

namespace blink {
namespace {

constexpr double kAsinhSoftening = 0.1;   // astropy's AsinhStretch default: linear below ~10%
constexpr double kAsinhTopQuantile = 0.995;
constexpr size_t kMaxRenderedPixels = size_t(1) << 26;

std::vector<float> finite_pixels(const Image& stamp) {
  std::vector<float> v;
  v.reserve(stamp.size());
  for (float p : stamp.pixels)
    if (std::isfinite(p)) v.push_back(p);
  return v;
}

double median_of_sorted(const std::vector<float>& s) {
  size_t n = s.size();
  return n % 2 ? s[n / 2] : 0.5 * (double(s[n / 2 - 1]) + double(s[n / 2]));
}

// Least-squares line value = a + b * rank over the samples not marked bad.
struct Line {
  double intercept = 0, slope = 0;
};
Line fit_line(const std::vector<float>& y, const std::vector<bool>& bad) {
  double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    if (bad[i]) continue;
    double x = double(i);
    n += 1, sx += x, sy += y[i], sxx += x * x, sxy += x * y[i];
  }
  double det = n * sxx - sx * sx;
  if (n < 2 || det <= 0) return {n > 0 ? sy / n : 0, 0};
  Line l;
  l.slope = (n * sxy - sx * sy) / det;
  l.intercept = (sy - l.slope * sx) / n;
  return l;
}

// Marks every sample within the grow window of a bad one as bad too (numpy's
// convolve(bad, ones(grow), mode="same"), as astropy's zscale does).
std::vector<bool> grow_bad(const std::vector<bool>& bad, int grow) {
  const long n = long(bad.size()), half = (grow - 1) / 2;
  std::vector<bool> out(bad.size(), false);
  for (long i = 0; i < n; ++i) {
    if (!bad[size_t(i)]) continue;
    // out[k] covers bad[k + half - grow + 1 .. k + half]; so bad[i] reaches
    // out[i - half .. i - half + grow - 1].
    long lo = std::max(0L, i - half), hi = std::min(n - 1, i - half + grow - 1);
    for (long k = lo; k <= hi; ++k) out[size_t(k)] = true;
  }
  return out;
}

uint8_t to_grey(double t) {  // t in [0, 1]
  return uint8_t(std::lround(255.0 * std::clamp(t, 0.0, 1.0)));
}

// The shade of a finite pixel `v` for `kind` between `limits` (kSymmetric:
// zero is mid-grey and the larger magnitude of the two is the half-width).
uint8_t shade(float v, StretchKind kind, const DisplayLimits& limits) {
  const double lo = limits.low, span = double(limits.high) - double(limits.low);
  if (!(span > 0)) return kMidGrey;
  switch (kind) {
    case StretchKind::kZscale:
      return to_grey((v - lo) / span);
    case StretchKind::kAsinh: {
      static const double norm = std::asinh(1.0 / kAsinhSoftening);
      double t = std::clamp((v - lo) / span, 0.0, 1.0);
      return to_grey(std::asinh(t / kAsinhSoftening) / norm);
    }
    case StretchKind::kSymmetric: {
      // 127.5 + 127.5 t: -half -> 0, 0 -> 128 (kMidGrey, rounding half up), +half -> 255.
      const double half = std::max(std::fabs(lo), std::fabs(double(limits.high)));
      double t = std::clamp(v / half, -1.0, 1.0);
      return uint8_t(std::lround(127.5 + 127.5 * t));
    }
  }
  return kMidGrey;
}

GreyImage upscaled(const GreyImage& in, int factor) {
  if (factor == 1) return in;
  GreyImage out(in.width * factor, in.height * factor);
  for (int y = 0; y < out.height; ++y) {
    const uint8_t* src = in.row(y / factor);
    uint8_t* dst = out.row(y);
    for (int x = 0; x < out.width; ++x) dst[x] = src[x / factor];
  }
  return out;
}

}  // namespace

DisplayLimits zscale_limits(const Image& stamp, const ZscaleParams& params) {
  std::vector<float> finite = finite_pixels(stamp);
  if (finite.empty()) return {};
  // An even stride through the pixels, rounded up (astropy rounds down and
  // truncates, which samples only the top of a stamp a little over the limit).
  const size_t max_samples = size_t(std::max(1, params.max_samples));
  const size_t stride = (finite.size() + max_samples - 1) / max_samples;
  std::vector<float> samples;
  for (size_t i = 0; i < finite.size() && samples.size() < max_samples; i += stride)
    samples.push_back(finite[i]);
  std::sort(samples.begin(), samples.end());

  const int npix = int(samples.size());
  DisplayLimits limits{samples.front(), samples.back(), true};
  const int min_good = std::max(params.min_pixels, int(npix * params.max_reject));
  const int grow = std::max(1, int(npix * 0.01));
  std::vector<bool> bad(samples.size(), false);
  int good = npix, last_good = npix + 1;
  Line line;
  for (int it = 0; it < params.max_iterations; ++it) {
    if (good >= last_good || good < min_good) break;
    line = fit_line(samples, bad);
    // Population sigma of the residuals still counted as good.
    double sum = 0, sum2 = 0, n = 0;
    for (int i = 0; i < npix; ++i) {
      if (bad[size_t(i)]) continue;
      double r = samples[size_t(i)] - (line.intercept + line.slope * i);
      sum += r, sum2 += r * r, n += 1;
    }
    double mean = sum / n, sigma = std::sqrt(std::max(0.0, sum2 / n - mean * mean));
    double threshold = params.reject_sigma * sigma;
    for (int i = 0; i < npix; ++i) {
      double r = samples[size_t(i)] - (line.intercept + line.slope * i);
      if (r < -threshold || r > threshold) bad[size_t(i)] = true;
    }
    bad = grow_bad(bad, grow);
    last_good = good;
    good = int(std::count(bad.begin(), bad.end(), false));
  }
  if (good >= min_good) {
    double slope = params.contrast > 0 ? line.slope / params.contrast : line.slope;
    const int center = (npix - 1) / 2;
    const double median = median_of_sorted(samples);
    limits.low = float(std::max(double(limits.low), median - (center - 1) * slope));
    limits.high = float(std::min(double(limits.high), median + (npix - center) * slope));
  }
  return limits;
}

DisplayLimits stretch_limits(const Image& stamp, StretchKind kind) {
  DisplayLimits z = zscale_limits(stamp);
  if (!z.valid) return z;
  switch (kind) {
    case StretchKind::kZscale:
      return z;
    case StretchKind::kAsinh: {
      std::vector<float> v = finite_pixels(stamp);
      auto k = v.begin() + std::ptrdiff_t(kAsinhTopQuantile * double(v.size() - 1));
      std::nth_element(v.begin(), k, v.end());
      z.high = std::max(z.high, *k);
      return z;
    }
    case StretchKind::kSymmetric: {
      const float half = std::max(std::fabs(z.low), std::fabs(z.high));
      return {-half, half, true};
    }
  }
  return z;
}

Result<GreyImage> render_stamp(const Image& stamp, StretchKind kind, int upscale) {
  return render_stamp(stamp, kind, upscale, stretch_limits(stamp, kind));
}

Result<GreyImage> render_stamp(const Image& stamp, StretchKind kind, int upscale,
                               const DisplayLimits& limits) {
  if (stamp.width <= 0 || stamp.height <= 0 ||
      stamp.size() != size_t(stamp.width) * size_t(stamp.height))
    return Status::invalid("rendering a stamp: the stamp is empty");
  if (upscale < 1 || upscale > kMaxUpscale)
    return Status::invalid("rendering a stamp: upscale " + std::to_string(upscale) +
                           " is outside 1.." + std::to_string(kMaxUpscale));
  if (stamp.size() * size_t(upscale) * size_t(upscale) > kMaxRenderedPixels)
    return Status::invalid("rendering a stamp: " + std::to_string(stamp.width) + "x" +
                           std::to_string(stamp.height) + " is too large to upscale " +
                           std::to_string(upscale) + " times");
  GreyImage grey(stamp.width, stamp.height, kNanGrey);
  for (size_t i = 0; i < stamp.size(); ++i) {
    const float v = stamp.pixels[i];
    if (std::isfinite(v)) grey.pixels[i] = limits.valid ? shade(v, kind, limits) : kMidGrey;
  }
  return upscaled(grey, upscale);
}

}  // namespace blink
