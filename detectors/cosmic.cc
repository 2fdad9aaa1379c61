#include "cosmic.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace blink {

int flag_sharp_pixels(const Image& image, const Image& rms, Mask& mask, double psf_fwhm, uint8_t bit,
                      double threshold) {
  const int w = image.width, h = image.height;
  // Share of a centred star's peak that stands above its 8 neighbours' median,
  // with pixel integration widening the PSF by 1/12 pixel^2.
  double s2 = std::pow(std::max(psf_fwhm, 0.8) / 2.3548, 2) + 1.0 / 12;
  double edge = std::exp(-0.5 / s2), corner = std::exp(-1.0 / s2);
  double star_ratio = 1 - (edge + corner) / 2;
  double crit = star_ratio + 0.5 * (1 - star_ratio);
  std::vector<int> flagged;
  float nb[8];
  for (int y = 1; y < h - 1; ++y) {
    for (int x = 1; x < w - 1; ++x) {
      float v = image.at(x, y), r = rms.at(x, y);
      if (!(v > threshold * r)) continue;
      int n = 0;
      for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx) {
          if (!dx && !dy) continue;
          float u = image.at(x + dx, y + dy);
          nb[n++] = u;
        }
      std::nth_element(nb, nb + 4, nb + 8);
      float hi = nb[4];
      float lo = *std::max_element(nb, nb + 4);
      float med = 0.5f * (hi + lo);
      float excess = v - med;
      if (excess > threshold * r && excess > crit * v) flagged.push_back(y * w + x);
    }
  }
  for (int idx : flagged) mask.pixels[idx] |= bit;
  // Grow once into neighbours that are themselves well above the noise.
  int grown = 0;
  for (int idx : flagged) {
    int x = idx % w, y = idx / w;
    for (int dy = -1; dy <= 1; ++dy)
      for (int dx = -1; dx <= 1; ++dx) {
        int xx = x + dx, yy = y + dy;
        if (!image.contains(xx, yy) || (mask.at(xx, yy) & bit)) continue;
        if (image.at(xx, yy) > 2.5f * rms.at(xx, yy)) {
          mask.at(xx, yy) |= bit;
          ++grown;
        }
      }
  }
  return int(flagged.size()) + grown;
}

void inpaint_masked(Image& image, const Mask& mask, uint8_t bits) {
  const int w = image.width, h = image.height;
  std::vector<float> buf;
  buf.reserve(25);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      if (!(mask.at(x, y) & bits)) continue;
      buf.clear();
      for (int dy = -2; dy <= 2; ++dy)
        for (int dx = -2; dx <= 2; ++dx) {
          int xx = x + dx, yy = y + dy;
          if (xx < 0 || yy < 0 || xx >= w || yy >= h || (mask.at(xx, yy) & bits)) continue;
          float v = image.at(xx, yy);
          if (std::isfinite(v)) buf.push_back(v);
        }
      if (buf.empty()) {
        image.at(x, y) = 0;
        continue;
      }
      std::nth_element(buf.begin(), buf.begin() + buf.size() / 2, buf.end());
      image.at(x, y) = buf[buf.size() / 2];
    }
  }
}

}  // namespace blink
