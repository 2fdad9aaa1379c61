#include "psf_match.h"

#include <Eigen/Dense>

#include "fft_convolve.h"
#include <algorithm>
#include <cmath>

namespace blink {

KernelBasisSpec basis_for(double fwhm_sharp, double fwhm_broad) {
  KernelBasisSpec spec;
  double d2 = std::max(fwhm_broad * fwhm_broad - fwhm_sharp * fwhm_sharp, 0.0);
  double sigma_match = std::max(std::sqrt(d2) / 2.3548, 0.6);
  // Widths scale with the blur to be matched, floored near HOTPANTS's
  // (0.7, 1.5, 3.0): narrower Gaussians are indistinguishable from a delta
  // and make the least squares degenerate, worst when the kernel varies.
  spec.sigmas = {std::max(0.5 * sigma_match, 0.7), std::max(sigma_match, 1.5), std::max(2.0 * sigma_match, 3.0)};
  spec.include_delta = spec.sigmas[0] >= 1.0;
  spec.half_width = std::clamp(int(std::ceil(std::max(6.0 * sigma_match + 1, 2.5 * fwhm_broad))), 5, 25);
  return spec;
}

namespace {

// One separable basis function: fx(u) * fy(v). Index 0 with spec.include_delta is the delta.
struct Basis1D {
  std::vector<float> fx, fy;
};

std::vector<Basis1D> make_basis(const KernelBasisSpec& spec) {
  const int h = spec.half_width, n = 2 * h + 1;
  std::vector<Basis1D> basis;
  if (spec.include_delta) {
    Basis1D d;
    d.fx.assign(n, 0), d.fy.assign(n, 0);
    d.fx[h] = d.fy[h] = 1;
    basis.push_back(d);
  }
  for (size_t g = 0; g < spec.sigmas.size(); ++g) {
    double s = spec.sigmas[g];
    int deg = spec.degrees[std::min(g, spec.degrees.size() - 1)];
    std::vector<std::vector<float>> factors(deg + 1, std::vector<float>(n));
    for (int p = 0; p <= deg; ++p) {
      double norm = 0;
      for (int u = -h; u <= h; ++u) {
        double v = std::exp(-0.5 * u * u / (s * s)) * std::pow(double(u) / std::max(s, 1.0), p);
        factors[p][u + h] = float(v);
        norm += std::abs(v);
      }
      for (float& v : factors[p]) v = float(v / norm);
    }
    for (int i = 0; i <= deg; ++i)
      for (int j = 0; i + j <= deg; ++j) basis.push_back({factors[i], factors[j]});
  }
  return basis;
}

// The convolutions of one stamp of `source` with every basis function,
// sampled on the (2r+1)^2 fit region. Separable: a row pass, then a column pass.
std::vector<Eigen::VectorXf> convolve_stamp(const Image& source, int cx, int cy, int r, int h,
                                            const std::vector<Basis1D>& basis) {
  const int n = 2 * r + 1, ext = 2 * (r + h) + 1;
  std::vector<Eigen::VectorXf> out;
  out.reserve(basis.size());
  std::vector<float> rowpass(size_t(ext) * n);
  for (const Basis1D& b : basis) {
    // rowpass(yy, x) = sum_u fx(u) * source(x - u, yy) for yy over the extended rows.
    for (int yy = 0; yy < ext; ++yy) {
      const float* src = source.row(cy - r - h + yy);
      for (int x = 0; x < n; ++x) {
        int sx = cx - r + x;
        float acc = 0;
        for (int u = -h; u <= h; ++u) acc += b.fx[u + h] * src[sx - u];
        rowpass[size_t(yy) * n + x] = acc;
      }
    }
    Eigen::VectorXf col(n * n);
    for (int y = 0; y < n; ++y)
      for (int x = 0; x < n; ++x) {
        float acc = 0;
        for (int v = -h; v <= h; ++v) acc += b.fy[v + h] * rowpass[size_t(y + h - v) * n + x];
        col(y * n + x) = acc;
      }
    out.push_back(std::move(col));
  }
  return out;
}

struct StampSystem {
  Eigen::MatrixXd m;  // normal matrix of the basis (and background) at this stamp
  Eigen::VectorXd b;
  std::vector<double> terms;  // spatial polynomial at the stamp centre
  std::vector<Eigen::VectorXf> columns;
  Eigen::VectorXf target, weight;
};

}  // namespace

int spatial_term_count(int order) { return (order + 1) * (order + 2) / 2; }

void spatial_terms(double u, double v, int order, double* out) {
  int k = 0;
  for (int d = 0; d <= order; ++d)
    for (int j = 0; j <= d; ++j) out[k++] = std::pow(u, d - j) * std::pow(v, j);
}

Image KernelSolution::kernel_at(double x, double y) const {
  const int n = int(fx.empty() ? 1 : fx[0].size());
  const int nb = int(fx.size());
  std::vector<double> t(terms);
  spatial_terms((x - cx) / scale_x, (y - cy) / scale_y, spatial_order, t.data());
  Image k(n, n);
  for (int b = 0; b < nb; ++b) {
    double a = 0;
    for (int j = 0; j < terms; ++j) a += coef[size_t(b) * terms + j] * t[j];
    for (int v = 0; v < n; ++v)
      for (int u = 0; u < n; ++u) k.at(u, v) += float(a * fx[b][u] * fy[b][v]);
  }
  return k;
}

double KernelSolution::background_at(double x, double y) const {
  std::vector<double> t(terms);
  spatial_terms((x - cx) / scale_x, (y - cy) / scale_y, spatial_order, t.data());
  double a = 0;
  const size_t nb = fx.size();
  for (int j = 0; j < terms; ++j) a += coef[nb * terms + j] * t[j];
  return a;
}

Image convolve_varying(const Image& image, const KernelSolution& sol, int tile, int threads) {
  if (sol.spatial_order == 0) return fft_convolve(image, sol.kernel, threads);
  const int w = image.width, h = image.height, half = sol.kernel.width / 2;
  Image out(w, h);
  std::vector<std::pair<int, int>> tiles;
  for (int y = 0; y < h; y += tile)
    for (int x = 0; x < w; x += tile) tiles.push_back({x, y});
#pragma omp parallel for num_threads(threads) schedule(dynamic)
  for (size_t t = 0; t < tiles.size(); ++t) {
    auto [x0, y0] = tiles[t];
    const int x1 = std::min(x0 + tile, w), y1 = std::min(y0 + tile, h);
    const int ex0 = std::max(0, x0 - half), ey0 = std::max(0, y0 - half);
    const int ex1 = std::min(w, x1 + half), ey1 = std::min(h, y1 + half);
    Image piece(ex1 - ex0, ey1 - ey0);
    for (int y = ey0; y < ey1; ++y) std::copy(image.row(y) + ex0, image.row(y) + ex1, piece.row(y - ey0));
    Image k = sol.kernel_at(0.5 * (x0 + x1), 0.5 * (y0 + y1));
    Image conv = fft_convolve(piece, k, 1);
    for (int y = y0; y < y1; ++y)
      std::copy(conv.row(y - ey0) + (x0 - ex0), conv.row(y - ey0) + (x1 - ex0), out.row(y) + x0);
  }
  return out;
}

Result<KernelSolution> fit_kernel(const Image& source, const Image& target, const Image& variance,
                                  const std::vector<StampCentre>& centres, const KernelBasisSpec& spec,
                                  int r) {
  const int h = spec.half_width;
  auto basis = make_basis(spec);
  const int nb = int(basis.size()), np = nb + 1;  // + constant background
  const int n = 2 * r + 1;
  std::vector<StampSystem> stamps;
  const double cxi = source.width / 2.0, cyi = source.height / 2.0;
  int order = spec.spatial_order;
  // Each polynomial term needs a few stamps of its own to be constrained.
  while (order > 0 && int(centres.size()) < 15 * spatial_term_count(order)) --order;
  const int nt = spatial_term_count(order);
  for (const StampCentre& c : centres) {
    if (c.x - r - h < 0 || c.y - r - h < 0 || c.x + r + h >= source.width || c.y + r + h >= source.height)
      continue;
    StampSystem s;
    s.terms.resize(nt);
    spatial_terms((c.x - cxi) / cxi, (c.y - cyi) / cyi, order, s.terms.data());
    s.columns = convolve_stamp(source, c.x, c.y, r, h, basis);
    s.target.resize(n * n);
    s.weight.resize(n * n);
    for (int y = 0; y < n; ++y)
      for (int x = 0; x < n; ++x) {
        s.target(y * n + x) = target.at(c.x - r + x, c.y - r + y);
        float v = variance.at(c.x - r + x, c.y - r + y);
        s.weight(y * n + x) = v > 0 ? 1.0f / v : 0.0f;
      }
    // Normal equations in double: star stamps span ~10 orders of magnitude in
    // their squares, and float sums lose the directions that tell the basis
    // functions apart (the spatially varying fit then goes wild).
    Eigen::MatrixXd a(n * n, np);
    for (int k = 0; k < nb; ++k) a.col(k) = s.columns[k].cast<double>();
    a.col(nb).setOnes();
    Eigen::VectorXd wd = s.weight.cast<double>();
    Eigen::MatrixXd aw = a.array().colwise() * wd.array();
    s.m = aw.transpose() * a;
    s.b = aw.transpose() * s.target.cast<double>();
    stamps.push_back(std::move(s));
  }
  if (int(stamps.size()) < 3) {
    return Status::invalid("only " + std::to_string(stamps.size()) +
                           " usable star stamps for the matching kernel (need 3)");
  }
  std::vector<char> keep(stamps.size(), 1);
  Eigen::VectorXd coef;
  std::vector<double> chi2(stamps.size());
  KernelSolution sol;
  const int nu = np * nt;  // unknowns: every basis coefficient times every spatial term
  auto local = [&](const Eigen::VectorXd& c, const StampSystem& st) {
    Eigen::VectorXd a = Eigen::VectorXd::Zero(np);
    for (int k = 0; k < np; ++k)
      for (int t = 0; t < nt; ++t) a(k) += c(k * nt + t) * st.terms[t];
    return a;
  };
  for (int iter = 0; iter < 4; ++iter) {
    Eigen::MatrixXd m = Eigen::MatrixXd::Zero(nu, nu);
    Eigen::VectorXd b = Eigen::VectorXd::Zero(nu);
    for (size_t i = 0; i < stamps.size(); ++i) {
      if (!keep[i]) continue;
      const StampSystem& st = stamps[i];
      // Kronecker structure: the stamp's normal matrix times its term products.
      for (int k = 0; k < np; ++k)
        for (int t = 0; t < nt; ++t) {
          b(k * nt + t) += st.b(k) * st.terms[t];
          for (int l = 0; l < np; ++l)
            for (int u = 0; u < nt; ++u) m(k * nt + t, l * nt + u) += st.m(k, l) * st.terms[t] * st.terms[u];
        }
    }
    // A whisper of ridge keeps nearly degenerate high-order terms finite.
    m.diagonal() += 1e-9 * m.diagonal().cwiseAbs().maxCoeff() * Eigen::VectorXd::Ones(nu);
    coef = m.ldlt().solve(b);
    if (!coef.allFinite()) return Status::internal("matching-kernel least squares has no finite solution");
    std::vector<double> kept;
    for (size_t i = 0; i < stamps.size(); ++i) {
      Eigen::VectorXd a = local(coef, stamps[i]);
      Eigen::VectorXf model = Eigen::VectorXf::Constant(n * n, float(a(nb)));
      for (int k = 0; k < nb; ++k) model += float(a(k)) * stamps[i].columns[k];
      Eigen::VectorXf res = stamps[i].target - model;
      chi2[i] = double((res.array().square() * stamps[i].weight.array()).sum()) / (n * n);
      if (keep[i]) kept.push_back(chi2[i]);
    }
    std::nth_element(kept.begin(), kept.begin() + kept.size() / 2, kept.end());
    double med = kept[kept.size() / 2];
    std::vector<double> dev;
    for (double c : kept) dev.push_back(std::abs(c - med));
    std::nth_element(dev.begin(), dev.begin() + dev.size() / 2, dev.end());
    double cut = med + std::max(5.0 * 1.4826 * dev[dev.size() / 2], 0.5 * med);
    sol.chi2_per_pixel = med;
    bool changed = false;
    for (size_t i = 0; i < stamps.size(); ++i) {
      char k = chi2[i] <= cut;
      if (k != keep[i]) changed = true;
      keep[i] = k;
    }
    if (std::count(keep.begin(), keep.end(), 1) < 3) {
      std::fill(keep.begin(), keep.end(), 1);
      break;
    }
    if (!changed) break;
  }
  sol.spatial_order = order;
  sol.terms = nt;
  sol.cx = cxi, sol.cy = cyi, sol.scale_x = cxi, sol.scale_y = cyi;
  sol.coef.assign(coef.data(), coef.data() + coef.size());
  for (const Basis1D& bf : basis) sol.fx.push_back(bf.fx), sol.fy.push_back(bf.fy);
  sol.kernel = sol.kernel_at(cxi, cyi);
  double sum = 0;
  for (float v : sol.kernel.pixels) sum += v;
  sol.kernel_sum = sum;
  sol.background = sol.background_at(cxi, cyi);
  sol.stamps_used = int(std::count(keep.begin(), keep.end(), 1));
  sol.stamps_rejected = int(stamps.size()) - sol.stamps_used;
  if (!(sum > 0)) return Status::internal("matching kernel has non-positive sum " + std::to_string(sum));
  return sol;
}

}  // namespace blink
