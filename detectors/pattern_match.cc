#include "pattern_match.h"

#include <Eigen/Dense>
#include <algorithm>
#include <array>
#include <cmath>

namespace blink {
namespace {

struct Pt {
  double x, y;
};

struct Triangle {
  std::array<int, 3> v;  // vertices ordered by the length of the opposite side, shortest first
  double r1, r2;         // side ratios: middle/shortest and longest/middle
};

std::vector<Pt> brightest(const std::vector<Source>& s, int n) {
  std::vector<const Source*> ok;
  for (const Source& x : s)
    if (!x.saturated && x.snr > 8 && x.fwhm > 0.8) ok.push_back(&x);
  std::sort(ok.begin(), ok.end(), [](auto* a, auto* b) { return a->flux > b->flux; });
  std::vector<Pt> out;
  for (size_t i = 0; i < ok.size() && int(i) < n; ++i) out.push_back({ok[i]->x, ok[i]->y});
  return out;
}

std::vector<Triangle> triangles(const std::vector<Pt>& p) {
  std::vector<Triangle> out;
  const int n = int(p.size());
  for (int i = 0; i < n; ++i) {
    std::vector<std::pair<double, int>> d;
    for (int j = 0; j < n; ++j)
      if (j != i) d.push_back({std::hypot(p[i].x - p[j].x, p[i].y - p[j].y), j});
    std::sort(d.begin(), d.end());
    const int k = std::min(5, int(d.size()));
    for (int a = 0; a < k; ++a)
      for (int b = a + 1; b < k; ++b) {
        std::array<int, 3> idx = {i, d[a].second, d[b].second};
        // Side opposite vertex m joins the other two.
        std::array<std::pair<double, int>, 3> opp;
        for (int m = 0; m < 3; ++m) {
          const Pt& u = p[idx[(m + 1) % 3]];
          const Pt& v = p[idx[(m + 2) % 3]];
          opp[m] = {std::hypot(u.x - v.x, u.y - v.y), idx[m]};
        }
        std::sort(opp.begin(), opp.end());
        if (opp[0].first < 3) continue;  // degenerate
        out.push_back({{opp[0].second, opp[1].second, opp[2].second}, opp[1].first / opp[0].first,
                       opp[2].first / opp[1].first});
      }
  }
  return out;
}

// Least-squares similarity transform (x' = a x - b y + c, y' = b x + a y + d).
bool similarity(const std::vector<Pt>& from, const std::vector<Pt>& to, double t[4]) {
  const int n = int(from.size());
  if (n < 2) return false;
  Eigen::MatrixXd m(2 * n, 4);
  Eigen::VectorXd r(2 * n);
  for (int i = 0; i < n; ++i) {
    m.row(2 * i) << from[i].x, -from[i].y, 1, 0;
    m.row(2 * i + 1) << from[i].y, from[i].x, 0, 1;
    r(2 * i) = to[i].x, r(2 * i + 1) = to[i].y;
  }
  Eigen::Vector4d s = m.colPivHouseholderQr().solve(r);
  for (int k = 0; k < 4; ++k) t[k] = s(k);
  return s.allFinite();
}

Pt apply(const double t[4], Pt p) { return {t[0] * p.x - t[1] * p.y + t[2], t[1] * p.x + t[0] * p.y + t[3]}; }

// Pairs of (science index, reference index) within `tol` under `t`.
std::vector<std::pair<int, int>> inliers(const double t[4], const std::vector<Pt>& s, const std::vector<Pt>& r,
                                         double tol) {
  std::vector<std::pair<int, int>> out;
  for (size_t i = 0; i < s.size(); ++i) {
    Pt q = apply(t, s[i]);
    int best = -1;
    double bd = tol;
    for (size_t j = 0; j < r.size(); ++j) {
      double d = std::hypot(q.x - r[j].x, q.y - r[j].y);
      if (d < bd) bd = d, best = int(j);
    }
    if (best >= 0) out.push_back({int(i), best});
  }
  return out;
}

}  // namespace

PatternMatch match_star_patterns(const std::vector<Source>& science, const std::vector<Source>& reference,
                                 int max_stars, double tol) {
  PatternMatch out;
  auto s = brightest(science, max_stars);
  auto r = brightest(reference, max_stars);
  if (s.size() < 4 || r.size() < 4) return out;
  auto ts = triangles(s), tr = triangles(r);
  double best_t[4] = {1, 0, 0, 0};
  size_t best_n = 0;
  for (const Triangle& a : ts) {
    for (const Triangle& b : tr) {
      if (std::abs(a.r1 - b.r1) > 0.03 * a.r1 || std::abs(a.r2 - b.r2) > 0.03 * a.r2) continue;
      std::vector<Pt> from, to;
      for (int k = 0; k < 3; ++k) from.push_back(s[a.v[k]]), to.push_back(r[b.v[k]]);
      double t[4];
      if (!similarity(from, to, t)) continue;
      double scale = std::hypot(t[0], t[1]);
      if (scale < 0.8 || scale > 1.25) continue;  // same camera, near-equal pixel scales
      auto in = inliers(t, s, r, tol);
      if (in.size() > best_n) {
        best_n = in.size();
        std::copy(t, t + 4, best_t);
      }
    }
  }
  // A chance alignment of a few triangles matches few stars; demand a real pattern.
  if (best_n < std::max<size_t>(5, std::min(s.size(), r.size()) / 4)) return out;
  // Refit on all inliers.
  auto in = inliers(best_t, s, r, tol);
  std::vector<Pt> from, to;
  for (auto [i, j] : in) from.push_back(s[i]), to.push_back(r[j]);
  similarity(from, to, best_t);
  out.ok = true;
  out.inliers = int(inliers(best_t, s, r, tol).size());
  out.cx[0] = best_t[2], out.cx[1] = best_t[0], out.cx[2] = -best_t[1];
  out.cy[0] = best_t[3], out.cy[1] = best_t[1], out.cy[2] = best_t[0];
  out.scale = std::hypot(best_t[0], best_t[1]);
  out.rotation_deg = std::atan2(best_t[1], best_t[0]) * 180 / M_PI;
  return out;
}

}  // namespace blink
