#include "align.h"

#include <Eigen/Dense>
#include <algorithm>
#include <array>
#include <cmath>

namespace blink {

Result<PixelMap> PixelMap::from_wcs(const Wcs* science, const Wcs* reference, int width, int height,
                                    int step) {
  PixelMap m;
  m.width_ = width, m.height_ = height;
  for (int x = 0;; x += step) {
    m.node_x_.push_back(std::min(x, width - 1));
    if (x >= width - 1) break;
  }
  for (int y = 0;; y += step) {
    m.node_y_.push_back(std::min(y, height - 1));
    if (y >= height - 1) break;
  }
  m.nx_ = int(m.node_x_.size()), m.ny_ = int(m.node_y_.size());
  std::vector<PixelCoord> nodes;
  nodes.reserve(size_t(m.nx_) * m.ny_);
  for (double y : m.node_y_)
    for (double x : m.node_x_) nodes.push_back({x, y});
  m.rx_.resize(nodes.size());
  m.ry_.resize(nodes.size());
  if (!science || !reference) {
    for (size_t i = 0; i < nodes.size(); ++i) m.rx_[i] = nodes[i].x, m.ry_[i] = nodes[i].y;
    return m;
  }
  std::vector<SkyCoord> sky;
  std::vector<PixelCoord> ref;
  Status s = science->to_sky(nodes, sky);
  if (!s) return s.with_context("mapping science pixels to the sky");
  s = reference->to_pixel(sky, ref);
  if (!s) return s.with_context("mapping sky to reference pixels");
  for (size_t i = 0; i < nodes.size(); ++i) m.rx_[i] = ref[i].x, m.ry_[i] = ref[i].y;
  return m;
}

void PixelMap::locate(double v, const std::vector<double>& nodes, int& i, double& f) const {
  int n = int(nodes.size());
  if (n == 1) {
    i = 0, f = 0;
    return;
  }
  // Nodes are evenly spaced except the last; a direct index then one correction.
  double step = nodes[1] - nodes[0];
  i = std::clamp(int(v / step), 0, n - 2);
  if (v > nodes[i + 1] && i < n - 2) ++i;
  f = (v - nodes[i]) / (nodes[i + 1] - nodes[i]);
}

void PixelMap::map(double x, double y, double& rx, double& ry) const {
  int i, j;
  double fx, fy;
  locate(x, node_x_, i, fx);
  locate(y, node_y_, j, fy);
  int i1 = std::min(i + 1, nx_ - 1), j1 = std::min(j + 1, ny_ - 1);
  auto at = [&](const std::vector<double>& g, int a, int b) { return g[size_t(b) * nx_ + a]; };
  auto lerp = [&](const std::vector<double>& g) {
    double top = at(g, i, j) + (at(g, i1, j) - at(g, i, j)) * fx;
    double bot = at(g, i, j1) + (at(g, i1, j1) - at(g, i, j1)) * fx;
    return top + (bot - top) * fy;
  };
  rx = lerp(rx_), ry = lerp(ry_);
}

void PixelMap::map_row(int y, double* rx, double* ry) const {
  int j;
  double fy;
  locate(y, node_y_, j, fy);
  int j1 = std::min(j + 1, ny_ - 1);
  for (int i = 0; i < nx_; ++i) {
    // Values at the node columns for this row; linear in x between them.
    double ax = rx_[size_t(j) * nx_ + i] + (rx_[size_t(j1) * nx_ + i] - rx_[size_t(j) * nx_ + i]) * fy;
    double ay = ry_[size_t(j) * nx_ + i] + (ry_[size_t(j1) * nx_ + i] - ry_[size_t(j) * nx_ + i]) * fy;
    if (i + 1 == nx_) {
      if (nx_ == 1) rx[0] = ax, ry[0] = ay;
      break;
    }
    double bx = rx_[size_t(j) * nx_ + i + 1] + (rx_[size_t(j1) * nx_ + i + 1] - rx_[size_t(j) * nx_ + i + 1]) * fy;
    double by = ry_[size_t(j) * nx_ + i + 1] + (ry_[size_t(j1) * nx_ + i + 1] - ry_[size_t(j) * nx_ + i + 1]) * fy;
    int x0 = int(node_x_[i]), x1 = int(node_x_[i + 1]);
    double inv = 1.0 / (x1 - x0);
    for (int x = x0; x <= x1; ++x) {
      double f = (x - x0) * inv;
      rx[x] = ax + (bx - ax) * f;
      ry[x] = ay + (by - ay) * f;
    }
  }
}

void PixelMap::add_affine(const double cx[3], const double cy[3]) {
  for (int j = 0; j < ny_; ++j)
    for (int i = 0; i < nx_; ++i) {
      size_t k = size_t(j) * nx_ + i;
      double x = node_x_[i], y = node_y_[j];
      rx_[k] += cx[0] + cx[1] * x + cx[2] * y;
      ry_[k] += cy[0] + cy[1] * x + cy[2] * y;
    }
}

double PixelMap::area_ratio(double x, double y) const {
  double ax, ay, bx, by, cx, cy;
  map(x, y, ax, ay);
  map(x + 1, y, bx, by);
  map(x, y + 1, cx, cy);
  return std::abs((bx - ax) * (cy - ay) - (cx - ax) * (by - ay));
}

namespace {

struct Pair {
  double sx, sy;  // science position
  double dx, dy;  // reference position minus mapped science position
};

// Pairs each bright science star with the nearest reference star within `radius` of where the map puts it.
std::vector<Pair> match(const PixelMap& map, const std::vector<const Source*>& sci,
                        const std::vector<const Source*>& ref, double radius, double off_x, double off_y) {
  const double cell = std::max(8.0, radius);
  int gx = int(map.width() / cell) + 8, gy = int(map.height() / cell) + 8;
  std::vector<std::vector<int>> grid(size_t(gx) * gy);
  auto bucket = [&](double x, double y, int& bx, int& by) {
    bx = std::clamp(int(std::floor(x / cell)) + 4, 0, gx - 1);
    by = std::clamp(int(std::floor(y / cell)) + 4, 0, gy - 1);
  };
  for (size_t i = 0; i < ref.size(); ++i) {
    int bx, by;
    bucket(ref[i]->x, ref[i]->y, bx, by);
    grid[size_t(by) * gx + bx].push_back(int(i));
  }
  std::vector<Pair> pairs;
  for (const Source* s : sci) {
    double rx, ry;
    map.map(s->x, s->y, rx, ry);
    rx += off_x, ry += off_y;
    int bx, by;
    bucket(rx, ry, bx, by);
    double best = radius * radius;
    int best_i = -1;
    int reach = int(std::ceil(radius / cell));
    for (int dy = -reach; dy <= reach; ++dy)
      for (int dx = -reach; dx <= reach; ++dx) {
        int x = bx + dx, y = by + dy;
        if (x < 0 || y < 0 || x >= gx || y >= gy) continue;
        for (int j : grid[size_t(y) * gx + x]) {
          double d2 = (ref[j]->x - rx) * (ref[j]->x - rx) + (ref[j]->y - ry) * (ref[j]->y - ry);
          if (d2 < best) best = d2, best_i = j;
        }
      }
    if (best_i >= 0) pairs.push_back({s->x, s->y, ref[best_i]->x - (rx - off_x), ref[best_i]->y - (ry - off_y)});
  }
  return pairs;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

std::vector<const Source*> usable(const std::vector<Source>& s, size_t limit) {
  std::vector<const Source*> out;
  for (const Source& x : s)
    if (!x.saturated && x.snr > 10 && x.fwhm > 0.8) out.push_back(&x);
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->snr > b->snr; });
  if (out.size() > limit) out.resize(limit);
  return out;
}

}  // namespace

AlignmentFit refine_with_stars(PixelMap& map, const std::vector<Source>& science,
                               const std::vector<Source>& reference, double search_radius) {
  AlignmentFit fit;
  auto sci = usable(science, 600);
  auto ref = usable(reference, 1500);
  if (sci.size() < 3 || ref.size() < 3) return fit;
  // First a robust common shift with the generous radius, then an affine fit with a tight one.
  auto pairs = match(map, sci, ref, search_radius, 0, 0);
  if (pairs.size() < 3) return fit;
  std::vector<double> dxs, dys;
  for (auto& p : pairs) dxs.push_back(p.dx), dys.push_back(p.dy);
  double ox = median(dxs), oy = median(dys);
  pairs = match(map, sci, ref, 1.5, ox, oy);
  if (pairs.size() < 3) return fit;

  double cx[3] = {ox, 0, 0}, cy[3] = {oy, 0, 0};
  const double xs = map.width() / 2.0, ys = map.height() / 2.0;
  std::vector<char> keep(pairs.size(), 1);
  for (int iter = 0; iter < 4; ++iter) {
    int n = int(std::count(keep.begin(), keep.end(), 1));
    if (n < 3) break;
    if (n >= 8) {
      // Affine in normalised coordinates keeps the normal equations well conditioned.
      Eigen::MatrixXd a(n, 3);
      Eigen::VectorXd bx(n), by(n);
      int r = 0;
      for (size_t k = 0; k < pairs.size(); ++k) {
        if (!keep[k]) continue;
        a(r, 0) = 1, a(r, 1) = (pairs[k].sx - xs) / xs, a(r, 2) = (pairs[k].sy - ys) / ys;
        bx(r) = pairs[k].dx, by(r) = pairs[k].dy;
        ++r;
      }
      Eigen::Vector3d px = a.colPivHouseholderQr().solve(bx), py = a.colPivHouseholderQr().solve(by);
      cx[1] = px(1) / xs, cx[2] = px(2) / ys, cx[0] = px(0) - cx[1] * xs - cx[2] * ys;
      cy[1] = py(1) / xs, cy[2] = py(2) / ys, cy[0] = py(0) - cy[1] * xs - cy[2] * ys;
    } else {
      std::vector<double> mx, my;
      for (size_t k = 0; k < pairs.size(); ++k)
        if (keep[k]) mx.push_back(pairs[k].dx), my.push_back(pairs[k].dy);
      cx[0] = median(mx), cy[0] = median(my), cx[1] = cx[2] = cy[1] = cy[2] = 0;
    }
    std::vector<double> res(pairs.size());
    std::vector<double> kept_res;
    for (size_t k = 0; k < pairs.size(); ++k) {
      double ex = pairs[k].dx - (cx[0] + cx[1] * pairs[k].sx + cx[2] * pairs[k].sy);
      double ey = pairs[k].dy - (cy[0] + cy[1] * pairs[k].sx + cy[2] * pairs[k].sy);
      res[k] = std::hypot(ex, ey);
      if (keep[k]) kept_res.push_back(res[k]);
    }
    double rms = 1.4826 * median(kept_res) / 0.8326;  // median of a 2-D Rayleigh -> sigma per axis
    double cut = std::max(3.0 * rms, 0.15);
    for (size_t k = 0; k < pairs.size(); ++k) keep[k] = res[k] < cut;
    fit.rms_residual = rms;
  }
  fit.matched = int(std::count(keep.begin(), keep.end(), 1));
  if (fit.matched < 3) return AlignmentFit{};
  map.add_affine(cx, cy);
  fit.shift_x = cx[0] + cx[1] * xs + cx[2] * ys;
  fit.shift_y = cy[0] + cy[1] * xs + cy[2] * ys;
  return fit;
}

namespace {

constexpr int kLutPerUnit = 1024;

// Lanczos-3 sampled finely once: the resampler does table lookups, not sin().
const std::vector<float>& lanczos_table() {
  static const std::vector<float> table = [] {
    std::vector<float> t(3 * kLutPerUnit + 2);
    for (size_t i = 0; i < t.size(); ++i) {
      double d = double(i) / kLutPerUnit;
      if (d == 0) t[i] = 1;
      else if (d >= 3) t[i] = 0;
      else {
        double pd = M_PI * d;
        t[i] = float(3.0 * std::sin(pd) * std::sin(pd / 3.0) / (pd * pd));
      }
    }
    return t;
  }();
  return table;
}

inline void weights6(double frac, const std::vector<float>& lut, float w[6]) {
  // Taps at offsets -2..3 from floor(position); distance = frac - k.
  float sum = 0;
  for (int k = -2; k <= 3; ++k) {
    double d = std::abs(frac - k);
    float v = d >= 3 ? 0.0f : lut[size_t(d * kLutPerUnit + 0.5)];
    w[k + 2] = v;
    sum += v;
  }
  for (int k = 0; k < 6; ++k) w[k] /= sum;  // keeps flat fields flat
}

}  // namespace

void resample_lanczos3(const Image& reference, const Image* variance, const Mask& reference_mask,
                       const PixelMap& map, Image& out, Image* out_variance, Mask& out_mask, int threads) {
  const int w = map.width(), h = map.height();
  const int rw = reference.width, rh = reference.height;
  out = Image(w, h);
  out_mask = Mask(w, h, 0);
  if (variance && out_variance) *out_variance = Image(w, h);
  const bool with_var = variance && out_variance;
  const auto& lut = lanczos_table();
#pragma omp parallel num_threads(threads)
  {
    std::vector<double> rxs(w), rys(w);
#pragma omp for schedule(dynamic, 16)
    for (int y = 0; y < h; ++y) {
      map.map_row(y, rxs.data(), rys.data());
      float* dst = out.row(y);
      float* vdst = with_var ? out_variance->row(y) : nullptr;
      uint8_t* mdst = out_mask.row(y);
      for (int x = 0; x < w; ++x) {
        const double rx = rxs[x], ry = rys[x];
        int ix = int(std::floor(rx)), iy = int(std::floor(ry));
        if (ix - 2 < 0 || iy - 2 < 0 || ix + 3 >= rw || iy + 3 >= rh) {
          mdst[x] = kMaskEdge;
          dst[x] = 0;
          if (vdst) vdst[x] = 0;
          continue;
        }
        float wx[6], wy[6];
        weights6(rx - ix, lut, wx);
        weights6(ry - iy, lut, wy);
        float acc = 0;
        for (int j = 0; j < 6; ++j) {
          const float* src = reference.row(iy - 2 + j) + (ix - 2);
          float racc = 0;
          for (int i = 0; i < 6; ++i) racc += wx[i] * src[i];
          acc += wy[j] * racc;
        }
        float vacc = 0;
        if (vdst) {
          // Variance maps are smooth on the kernel's scale: the nearest pixel's
          // variance times the sum of squared weights is the interpolated noise.
          float sx = 0, sy = 0;
          for (int k = 0; k < 6; ++k) sx += wx[k] * wx[k], sy += wy[k] * wy[k];
          vacc = variance->at(int(std::lround(rx)), int(std::lround(ry))) * sx * sy;
        }
        // Only the central 2x2 taps carry a pixel's identity; outer taps just ring.
        uint8_t m = 0;
        for (int j = 2; j <= 3; ++j) {
          const uint8_t* msrc = reference_mask.row(iy - 2 + j) + (ix - 2);
          m |= msrc[2] | msrc[3];
        }
        dst[x] = acc;
        if (vdst) vdst[x] = vacc;
        mdst[x] = m;
      }
    }
  }
  // Flux conservation: a science pixel covers area_ratio reference pixels.
  // The ratio varies slowly, so it is applied per 64-pixel block.
  const int block = 64;
  for (int by = 0; by < h; by += block)
    for (int bx = 0; bx < w; bx += block) {
      float a = float(map.area_ratio(std::min(bx + block / 2, w - 1), std::min(by + block / 2, h - 1)));
      if (std::abs(a - 1.0f) < 1e-6f) continue;
      for (int y = by; y < std::min(by + block, h); ++y)
        for (int x = bx; x < std::min(bx + block, w); ++x) {
          out.at(x, y) *= a;
          if (with_var) out_variance->at(x, y) *= a * a;
        }
    }
}

}  // namespace blink
