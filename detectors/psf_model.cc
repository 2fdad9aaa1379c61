#include "psf_model.h"

#include <algorithm>
#include <cmath>

namespace blink {
namespace {

double lanczos3(double d) {
  d = std::abs(d);
  if (d < 1e-9) return 1;
  if (d >= 3) return 0;
  double pd = M_PI * d;
  return 3.0 * std::sin(pd) * std::sin(pd / 3.0) / (pd * pd);
}

}  // namespace

Image gaussian_psf(double fwhm, int half) {
  const int n = 2 * half + 1;
  Image p(n, n);
  double s = fwhm / 2.3548, sum = 0;
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      double dx = x - half, dy = y - half;
      sum += p.at(x, y) = float(std::exp(-0.5 * (dx * dx + dy * dy) / (s * s)));
    }
  for (float& v : p.pixels) v = float(v / sum);
  return p;
}

Image empirical_psf(const Image& image, const Mask& mask, const std::vector<Source>& stars, int half,
                    int max_stars, const int region[4]) {
  const int n = 2 * half + 1, pad = half + 4;
  std::vector<const Source*> use;
  for (const Source& s : stars) {
    if (s.saturated || s.near_edge || s.snr < 30 || s.isolation < half) continue;
    if (s.x < pad || s.y < pad || s.x >= image.width - pad || s.y >= image.height - pad) continue;
    if (region && (s.x < region[0] || s.y < region[1] || s.x >= region[2] || s.y >= region[3])) continue;
    use.push_back(&s);
  }
  std::sort(use.begin(), use.end(), [](auto* a, auto* b) { return a->snr > b->snr; });
  if (int(use.size()) > max_stars) use.resize(max_stars);
  std::vector<Image> stamps;
  for (const Source* s : use) {
    // Shift the star onto the stamp centre with a separable Lanczos-3 interpolation.
    int cx = int(std::floor(s->x)), cy = int(std::floor(s->y));
    double fx = s->x - cx, fy = s->y - cy;
    double wx[6], wy[6];
    for (int k = -2; k <= 3; ++k) wx[k + 2] = lanczos3(k - fx), wy[k + 2] = lanczos3(k - fy);
    Image st(n, n);
    bool bad = false;
    double sum = 0;
    for (int y = 0; y < n && !bad; ++y)
      for (int x = 0; x < n; ++x) {
        double acc = 0;
        for (int j = 0; j < 6; ++j)
          for (int i = 0; i < 6; ++i) {
            int xx = cx + (x - half) + (i - 2), yy = cy + (y - half) + (j - 2);
            if (mask.at(xx, yy) & (kMaskSaturated | kMaskNoData | kMaskEdge)) bad = true;
            acc += wx[i] * wy[j] * image.at(xx, yy);
          }
        st.at(x, y) = float(acc);
        sum += acc;
      }
    if (bad || !(sum > 0)) continue;
    for (float& v : st.pixels) v = float(v / sum);
    stamps.push_back(std::move(st));
  }
  if (stamps.size() < 3) return Image();
  Image psf(n, n);
  std::vector<float> vals(stamps.size());
  for (size_t p = 0; p < psf.size(); ++p) {
    for (size_t k = 0; k < stamps.size(); ++k) vals[k] = stamps[k].pixels[p];
    std::nth_element(vals.begin(), vals.begin() + vals.size() / 2, vals.end());
    psf.pixels[p] = vals[vals.size() / 2];
  }
  // Trim the noisy wings: anything below zero is noise, then renormalise.
  double sum = 0;
  for (float& v : psf.pixels) {
    v = std::max(v, 0.0f);
    sum += v;
  }
  for (float& v : psf.pixels) v = float(v / sum);
  return psf;
}

}  // namespace blink
