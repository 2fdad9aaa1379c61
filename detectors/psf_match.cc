#include "psf_match.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

namespace blink {

KernelBasisSpec basis_for(double fwhm_sharp, double fwhm_broad) {
  KernelBasisSpec spec;
  double d2 = std::max(fwhm_broad * fwhm_broad - fwhm_sharp * fwhm_sharp, 0.0);
  double sigma_match = std::max(std::sqrt(d2) / 2.3548, 0.6);
  spec.sigmas = {0.5 * sigma_match, sigma_match, 2.0 * sigma_match};
  spec.half_width = std::clamp(int(std::ceil(std::max(6.0 * sigma_match + 1, 1.2 * fwhm_broad))), 5, 20);
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
  Eigen::MatrixXd m;  // normal matrix
  Eigen::VectorXd b;
  std::vector<Eigen::VectorXf> columns;
  Eigen::VectorXf target, weight;
};

}  // namespace

Result<KernelSolution> fit_kernel(const Image& source, const Image& target, const Image& variance,
                                  const std::vector<StampCentre>& centres, const KernelBasisSpec& spec,
                                  int r) {
  const int h = spec.half_width;
  auto basis = make_basis(spec);
  const int nb = int(basis.size()), np = nb + 1;  // + constant background
  const int n = 2 * r + 1;
  std::vector<StampSystem> stamps;
  for (const StampCentre& c : centres) {
    if (c.x - r - h < 0 || c.y - r - h < 0 || c.x + r + h >= source.width || c.y + r + h >= source.height)
      continue;
    StampSystem s;
    s.columns = convolve_stamp(source, c.x, c.y, r, h, basis);
    s.target.resize(n * n);
    s.weight.resize(n * n);
    for (int y = 0; y < n; ++y)
      for (int x = 0; x < n; ++x) {
        s.target(y * n + x) = target.at(c.x - r + x, c.y - r + y);
        float v = variance.at(c.x - r + x, c.y - r + y);
        s.weight(y * n + x) = v > 0 ? 1.0f / v : 0.0f;
      }
    Eigen::MatrixXf a(n * n, np);
    for (int k = 0; k < nb; ++k) a.col(k) = s.columns[k];
    a.col(nb).setOnes();
    Eigen::MatrixXf aw = a.array().colwise() * s.weight.array();
    s.m = (aw.transpose() * a).cast<double>();
    s.b = (aw.transpose() * s.target).cast<double>();
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
  for (int iter = 0; iter < 4; ++iter) {
    Eigen::MatrixXd m = Eigen::MatrixXd::Zero(np, np);
    Eigen::VectorXd b = Eigen::VectorXd::Zero(np);
    for (size_t i = 0; i < stamps.size(); ++i)
      if (keep[i]) m += stamps[i].m, b += stamps[i].b;
    // A whisper of ridge keeps nearly degenerate high-order terms finite.
    m.diagonal() += 1e-9 * m.diagonal().cwiseAbs().maxCoeff() * Eigen::VectorXd::Ones(np);
    coef = m.ldlt().solve(b);
    if (!coef.allFinite()) return Status::internal("matching-kernel least squares has no finite solution");
    std::vector<double> kept;
    for (size_t i = 0; i < stamps.size(); ++i) {
      Eigen::VectorXf model = Eigen::VectorXf::Constant(n * n, float(coef(nb)));
      for (int k = 0; k < nb; ++k) model += float(coef(k)) * stamps[i].columns[k];
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
  const int kn = 2 * h + 1;
  sol.kernel = Image(kn, kn);
  for (int k = 0; k < nb; ++k)
    for (int v = 0; v < kn; ++v)
      for (int u = 0; u < kn; ++u) sol.kernel.at(u, v) += float(coef(k)) * basis[k].fx[u] * basis[k].fy[v];
  double sum = 0;
  for (float v : sol.kernel.pixels) sum += v;
  sol.kernel_sum = sum;
  sol.background = coef(nb);
  sol.stamps_used = int(std::count(keep.begin(), keep.end(), 1));
  sol.stamps_rejected = int(stamps.size()) - sol.stamps_used;
  if (!(sum > 0)) return Status::internal("matching kernel has non-positive sum " + std::to_string(sum));
  return sol;
}

}  // namespace blink
