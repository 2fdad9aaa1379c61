#include "cosmic.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace blink {

namespace {

float median_of(float* v, int n) {
  std::nth_element(v, v + n / 2, v + n);
  return v[n / 2];
}

// Median of the k x k box around (x, y), clamped at the borders.
float box_median(const Image& img, int x, int y, int k) {
  float buf[49];
  int n = 0, r = k / 2;
  for (int dy = -r; dy <= r; ++dy)
    for (int dx = -r; dx <= r; ++dx) {
      int xx = std::clamp(x + dx, 0, img.width - 1), yy = std::clamp(y + dy, 0, img.height - 1);
      buf[n++] = img.at(xx, yy);
    }
  return median_of(buf, n);
}

}  // namespace

int flag_cosmic_rays(const Image& image, const Image& variance, Mask& mask, double psf_fwhm, uint8_t bit,
                     int threads, double sigma_clip) {
  const int w = image.width, h = image.height;
  // Laplacian of the image block-replicated 2x2, negatives clipped, averaged
  // back: each block's four sub-pixels see their two outward neighbours.
  Image lplus(w, h), snr(w, h);
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int y = 1; y < h - 1; ++y) {
    const float* up = image.row(y - 1);
    const float* row = image.row(y);
    const float* dn = image.row(y + 1);
    for (int x = 1; x < w - 1; ++x) {
      float v2 = 2 * row[x];
      float l = std::max(0.0f, v2 - row[x - 1] - up[x]) + std::max(0.0f, v2 - row[x + 1] - up[x]) +
                std::max(0.0f, v2 - row[x - 1] - dn[x]) + std::max(0.0f, v2 - row[x + 1] - dn[x]);
      l *= 0.25f;
      lplus.at(x, y) = l;
      float var = variance.at(x, y);
      snr.at(x, y) = var > 0 ? l / (2.0f * std::sqrt(var)) : 0.0f;
    }
  }
  // Stars have fine structure comparable to their Laplacian; cosmic rays
  // have far less. Undersampled stars look sharper, so the limit rises.
  const double flim = psf_fwhm >= 2.5 ? 2.0 : psf_fwhm <= 1.5 ? 5.0 : 2.0 + 3.0 * (2.5 - psf_fwhm);
  // Suspects first, by the cheap tests: a significant Laplacian edge that is
  // not just part of a smooth extended source.
  std::vector<int> suspects;
#pragma omp parallel num_threads(threads)
  {
    std::vector<int> mine;
#pragma omp for schedule(dynamic, 32) nowait
    for (int y = 3; y < h - 3; ++y)
      for (int x = 3; x < w - 3; ++x) {
        float s = snr.at(x, y);
        if (s > sigma_clip && s - box_median(snr, x, y, 5) > sigma_clip) mine.push_back(y * w + x);
      }
#pragma omp critical
    suspects.insert(suspects.end(), mine.begin(), mine.end());
  }
  std::sort(suspects.begin(), suspects.end());  // thread order must not change the result
  // Fine structure med3(I) - med7(med3(I)), with med3 computed only where a suspect needs it.
  Image med3(w, h, NAN);
  for (int idx : suspects) {
    int x = idx % w, y = idx / w;
    for (int dy = -3; dy <= 3; ++dy)
      for (int dx = -3; dx <= 3; ++dx) {
        float& m = med3.at(x + dx, y + dy);
        if (std::isnan(m)) m = box_median(image, x + dx, y + dy, 3);
      }
  }
  std::vector<int> flagged;
  for (int idx : suspects) {
    int x = idx % w, y = idx / w;
    float fine = std::max(med3.at(x, y) - box_median(med3, x, y, 7), 0.01f);
    // Stars have fine structure comparable to their Laplacian; cosmic rays far less.
    if (lplus.at(x, y) / fine > flim) flagged.push_back(idx);
  }
  for (int idx : flagged) mask.pixels[idx] |= bit;
  // Grow into neighbours that pass a lower limit: the faint ends of tracks.
  int grown = 0;
  std::vector<int> frontier = flagged;
  for (int pass = 0; pass < 2 && !frontier.empty(); ++pass) {
    std::vector<int> next;
    for (int idx : frontier) {
      int x = idx % w, y = idx / w;
      for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx) {
          int xx = x + dx, yy = y + dy;
          if (xx < 2 || yy < 2 || xx >= w - 2 || yy >= h - 2 || (mask.at(xx, yy) & bit)) continue;
          if (snr.at(xx, yy) > 0.3 * sigma_clip && image.at(xx, yy) > 0) {
            mask.at(xx, yy) |= bit;
            next.push_back(yy * w + xx);
            ++grown;
          }
        }
    }
    frontier.swap(next);
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
