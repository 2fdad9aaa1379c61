#include "detect.h"

#include <algorithm>
#include <cmath>

#include "background.h"
#include "filters.h"
#include "segment.h"

namespace blink {
namespace {

// Robust sigma of every `stride`-th unmasked value: the sky, not the sources, sets it.
double robust_sigma(const Image& values, const Mask& mask, int stride) {
  std::vector<float> sample;
  sample.reserve(values.size() / stride + 1);
  for (size_t i = 0; i < values.size(); i += stride)
    if (!mask.pixels[i] && std::isfinite(values.pixels[i])) sample.push_back(values.pixels[i]);
  float med = 0, sig = 0;
  if (!clipped_stats(sample.data(), sample.size(), med, sig, 2)) return 1;
  return sig > 0 ? sig : 1;
}

}  // namespace

Significance significance_image(const DifferenceImage& d, int threads) {
  const int w = d.diff.width, h = d.diff.height;
  auto g = gaussian_kernel_1d(d.psf_fwhm / 2.3548);
  double g2 = 0;
  for (float v : g) g2 += double(v) * v;
  g2 = g2 * g2;  // sum of the 2-D kernel's squares
  Image masked = d.diff;
  for (size_t i = 0; i < masked.size(); ++i)
    if (d.mask.pixels[i] & (kMaskEdge | kMaskNoData)) masked.pixels[i] = 0;
  Image filtered = separable_convolve(masked, g, g, threads);
  Image var_smooth = separable_convolve(d.variance, g, g, threads);
  Significance s;
  s.z = Image(w, h);
  for (size_t i = 0; i < s.z.size(); ++i) {
    double v = var_smooth.pixels[i] * g2;
    s.z.pixels[i] = v > 0 ? float(filtered.pixels[i] / std::sqrt(v)) : 0.0f;
  }
  // Convolution correlates neighbouring pixels, so the filtered noise is not
  // what independent pixels predict; measure the factor on the image itself.
  s.correlation = robust_sigma(s.z, d.mask, 11);
  const float inv = float(1.0 / s.correlation);
  for (float& v : s.z.pixels) v *= inv;
  Image ratio(w, h);
  for (size_t i = 0; i < ratio.size(); ++i) {
    float v = d.variance.pixels[i];
    ratio.pixels[i] = v > 0 ? d.diff.pixels[i] / std::sqrt(v) : 0;
  }
  s.pixel_noise_ratio = robust_sigma(ratio, d.mask, 5);
  return s;
}

namespace {

// The least a sampled peak keeps of its height: for a significance image whose
// peak is a Gaussian of sigma sqrt(2) times the PSF's (a matched filter) and
// a PSF of 2 px FWHM, half a pixel off in both axes.
constexpr double kGridLoss = 0.84;

// The height of the summit near grid peak (x, y): a parabola through the
// logarithm of each axis's three samples, which is exact for a Gaussian
// peak. The sampled value where a neighbour is not positive or the fit would
// move the summit by more than a pixel.
float summit(const Image& z, int x, int y) {
  const float v0 = z.at(x, y);
  if (x < 1 || y < 1 || x >= z.width - 1 || y >= z.height - 1 || !(v0 > 0)) return v0;
  double gain = 0;
  for (const auto& [dx, dy] : {std::pair{1, 0}, std::pair{0, 1}}) {
    const float a = z.at(x - dx, y - dy), b = z.at(x + dx, y + dy);
    if (!(a > 0) || !(b > 0)) return v0;
    const double la = std::log(a), l0 = std::log(v0), lb = std::log(b);
    const double curve = la - 2 * l0 + lb;
    if (!(curve < 0)) return v0;
    const double offset = 0.5 * (la - lb) / curve;
    if (std::abs(offset) > 1) return v0;
    gain += -0.125 * (la - lb) * (la - lb) / curve;
  }
  return float(v0 * std::exp(gain));
}

}  // namespace

std::vector<Candidate> find_detections(const DifferenceImage& d, const Significance& s,
                                       const DetectionOptions& options) {
  // The science image's cosmic-ray and bad pixels were filled in before
  // subtraction and cannot peak on their own; a real source on one must
  // still be found (on_mask says so). Where the reference was filled in, a
  // peak is the filling's error (a hit on a star it cannot restore).
  const uint8_t skip = kMaskEdge | kMaskNoData | kMaskSaturated | kMaskReferenceFilled;
  // Peaks at least about a PSF apart: close pairs stay two detections.
  const int radius = std::max(2, int(std::lround(0.8 * d.psf_fwhm)));
  // A source between pixel centres peaks lower on the pixel grid than it
  // is: by up to 16% for a PSF of 2 px FWHM. Peaks are searched for that
  // much lower and judged by the significance interpolated at their summit.
  auto segments = find_peaks(s.z, float(kGridLoss * options.threshold), d.mask, skip, radius);
  for (Segment& seg : segments) seg.peak = summit(s.z, seg.peak_x, seg.peak_y);
  std::erase_if(segments, [&](const Segment& s) { return s.npix < options.min_pixels || s.peak < options.threshold; });
  std::sort(segments.begin(), segments.end(), [](const Segment& a, const Segment& b) { return a.peak > b.peak; });
  if (int(segments.size()) > options.max_candidates) segments.resize(options.max_candidates);
  std::vector<Candidate> out;
  out.reserve(segments.size());
  for (const Segment& seg : segments) {
    Candidate c;
    c.x = seg.peak_x, c.y = seg.peak_y;
    c.snr = seg.peak;
    c.npix = seg.npix;
    c.on_mask = seg.touches_mask;
    out.push_back(c);
  }
  return out;
}

}  // namespace blink
