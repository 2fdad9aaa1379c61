#include "background.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace blink {

bool clipped_stats(float* v, size_t n, float& median, float& sigma, int iterations, float kappa, bool lower_half) {
  size_t count = n;
  for (int it = 0; it <= iterations; ++it) {
    if (count < 5) return false;
    size_t mid = count / 2;
    std::nth_element(v, v + mid, v + count);
    median = v[mid];
    // Sigma from the interquartile range: insensitive to the sources we clip.
    size_t q1 = count / 4, q3 = (3 * count) / 4;
    std::nth_element(v, v + q1, v + count);
    float lo = v[q1];
    std::nth_element(v, v + q3, v + count);
    float hi = v[q3];
    sigma = lower_half ? (median - lo) / 0.6745f : (hi - lo) / 1.349f;
    if (it == iterations || sigma <= 0) break;
    float lo_cut = median - kappa * sigma, hi_cut = median + kappa * sigma;
    size_t kept = 0;
    for (size_t i = 0; i < count; ++i) {
      if (v[i] >= lo_cut && v[i] <= hi_cut) v[kept++] = v[i];
    }
    if (kept == count) break;
    count = kept;
  }
  return count >= 5;
}

namespace {

// 3x3 median filter over the mesh grid: removes cells biased by a big galaxy or bright star.
std::vector<float> median_filter_grid(const std::vector<float>& g, int nx, int ny) {
  std::vector<float> out(g.size());
  float buf[9];
  for (int j = 0; j < ny; ++j) {
    for (int i = 0; i < nx; ++i) {
      int n = 0;
      for (int dj = -1; dj <= 1; ++dj)
        for (int di = -1; di <= 1; ++di) {
          int ii = i + di, jj = j + dj;
          if (ii >= 0 && jj >= 0 && ii < nx && jj < ny) buf[n++] = g[size_t(jj) * nx + ii];
        }
      std::nth_element(buf, buf + n / 2, buf + n);
      out[size_t(j) * nx + i] = buf[n / 2];
    }
  }
  return out;
}

// Bilinear interpolation of cell-centre values to every pixel.
Image interpolate_grid(const std::vector<float>& g, int nx, int ny, int w, int h, int threads) {
  Image out(w, h);
  const float cw = float(w) / nx, ch = float(h) / ny;
  std::vector<float> fx(w);
  std::vector<int> ix(w);
  for (int x = 0; x < w; ++x) {
    float gx = (x + 0.5f) / cw - 0.5f;
    gx = std::clamp(gx, 0.0f, float(nx - 1));
    ix[x] = std::min(int(gx), std::max(nx - 2, 0));
    fx[x] = nx > 1 ? gx - ix[x] : 0;
  }
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int y = 0; y < h; ++y) {
    float gy = (y + 0.5f) / ch - 0.5f;
    gy = std::clamp(gy, 0.0f, float(ny - 1));
    int iy = std::min(int(gy), std::max(ny - 2, 0));
    float fy = ny > 1 ? gy - iy : 0;
    int iy1 = std::min(iy + 1, ny - 1);
    float* row = out.row(y);
    for (int x = 0; x < w; ++x) {
      int ix1 = std::min(ix[x] + 1, nx - 1);
      float a = g[size_t(iy) * nx + ix[x]], b = g[size_t(iy) * nx + ix1];
      float c = g[size_t(iy1) * nx + ix[x]], d = g[size_t(iy1) * nx + ix1];
      float top = a + (b - a) * fx[x], bot = c + (d - c) * fx[x];
      row[x] = top + (bot - top) * fy;
    }
  }
  return out;
}

// Replaces cells that had no estimate with the mean of estimated neighbours, growing outwards.
void fill_missing(std::vector<float>& g, std::vector<char>& ok, int nx, int ny, float fallback) {
  bool any = std::any_of(ok.begin(), ok.end(), [](char c) { return c; });
  if (!any) {
    std::fill(g.begin(), g.end(), fallback);
    return;
  }
  bool changed = true;
  while (changed) {
    changed = false;
    std::vector<char> next = ok;
    for (int j = 0; j < ny; ++j)
      for (int i = 0; i < nx; ++i) {
        size_t k = size_t(j) * nx + i;
        if (ok[k]) continue;
        double sum = 0;
        int n = 0;
        for (int dj = -1; dj <= 1; ++dj)
          for (int di = -1; di <= 1; ++di) {
            int ii = i + di, jj = j + dj;
            if (ii < 0 || jj < 0 || ii >= nx || jj >= ny) continue;
            size_t kk = size_t(jj) * nx + ii;
            if (ok[kk]) sum += g[kk], ++n;
          }
        if (n > 0) {
          g[k] = float(sum / n);
          next[k] = 1;
          changed = true;
        }
      }
    ok.swap(next);
  }
}

}  // namespace

BackgroundMap estimate_background(const Image& image, const Mask& mask, int mesh, int threads) {
  const int w = image.width, h = image.height;
  mesh = std::max(8, std::min(mesh, std::max(w, h)));
  const int nx = std::max(1, (w + mesh / 2) / mesh), ny = std::max(1, (h + mesh / 2) / mesh);
  std::vector<float> level(size_t(nx) * ny), rms(size_t(nx) * ny);
  std::vector<char> ok(size_t(nx) * ny, 0);
#pragma omp parallel num_threads(threads)
  {
    std::vector<float> buf, diffs;
#pragma omp for schedule(dynamic)
    for (int c = 0; c < nx * ny; ++c) {
      int i = c % nx, j = c / nx;
      int x0 = i * w / nx, x1 = (i + 1) * w / nx, y0 = j * h / ny, y1 = (j + 1) * h / ny;
      buf.clear();
      diffs.clear();
      // Every other row: a cell has thousands of pixels, and half of them
      // pin the statistics as well as all of them.
      for (int y = y0; y < y1; y += 2)
        for (int x = x0; x < x1; ++x) {
          float v = image.at(x, y);
          if (mask.at(x, y) || !std::isfinite(v)) continue;
          buf.push_back(v);
          if (x + 1 < w && !mask.at(x + 1, y) && std::isfinite(image.at(x + 1, y)))
            diffs.push_back((image.at(x + 1, y) - v) * float(M_SQRT1_2));
        }
      float med = 0, sig = 0, dmed = 0, dsig = 0;
      if (buf.size() >= size_t((x1 - x0) * (y1 - y0) / 8) && clipped_stats(buf.data(), buf.size(), med, sig, 2, 3.0f, true) &&
          clipped_stats(diffs.data(), diffs.size(), dmed, dsig, 1)) {
        // Crowding skews the clipped distribution upward; the mode estimate
        // 2.5*median - 1.5*mean corrects for it when the skew is moderate.
        double mean = 0;
        float lo = med - 3 * sig, hi = med + 3 * sig;
        size_t n = 0;
        for (float v : buf)
          if (v >= lo && v <= hi) mean += v, ++n;
        mean = n ? mean / n : med;
        float mode = float(2.5 * med - 1.5 * mean);
        level[c] = (std::abs(mean - med) < 0.3 * sig) ? mode : med;
        rms[c] = dsig;
        ok[c] = 1;
      }
    }
  }
  float fallback_level = 0, fallback_rms = 1;
  {
    std::vector<float> good_l, good_r;
    for (size_t c = 0; c < ok.size(); ++c)
      if (ok[c]) good_l.push_back(level[c]), good_r.push_back(rms[c]);
    if (!good_l.empty()) {
      std::nth_element(good_l.begin(), good_l.begin() + good_l.size() / 2, good_l.end());
      std::nth_element(good_r.begin(), good_r.begin() + good_r.size() / 2, good_r.end());
      fallback_level = good_l[good_l.size() / 2];
      fallback_rms = good_r[good_r.size() / 2];
    }
  }
  std::vector<char> ok2 = ok;
  fill_missing(level, ok, nx, ny, fallback_level);
  fill_missing(rms, ok2, nx, ny, fallback_rms);
  level = median_filter_grid(level, nx, ny);
  rms = median_filter_grid(rms, nx, ny);

  BackgroundMap out;
  out.level = interpolate_grid(level, nx, ny, w, h, threads);
  out.rms = interpolate_grid(rms, nx, ny, w, h, threads);
  out.global_rms = fallback_rms;
  return out;
}

}  // namespace blink
