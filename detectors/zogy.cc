#include "zogy.h"

#include <algorithm>
#include <cmath>
#include <complex>

#include "fft_convolve.h"
#include "moments.h"
#include "psf_model.h"

namespace blink {
namespace {

using cf = std::complex<float>;

// Places a centred PSF stamp at the origin of an n-point periodic grid.
void place_psf(const Image& psf, FftBuffer<float>& buf, int w, int h) {
  std::fill(buf.data(), buf.data() + size_t(w) * h, 0.0f);
  const int hx = psf.width / 2, hy = psf.height / 2;
  for (int y = 0; y < psf.height; ++y)
    for (int x = 0; x < psf.width; ++x) {
      int xx = (x - hx + w) % w, yy = (y - hy + h) % h;
      buf[size_t(yy) * w + xx] = psf.at(x, y);
    }
}

double median_of(std::vector<float> v) {
  if (v.empty()) return 0;
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

// Robust sky noise of a tile: median of the variance map's lower quartile,
// i.e. the background where no star adds photons.
double background_sigma(const Image& var, int x0, int y0, int x1, int y1) {
  std::vector<float> v;
  for (int y = y0; y < y1; y += 3)
    for (int x = x0; x < x1; x += 3) v.push_back(var.at(x, y));
  if (v.empty()) return 1;
  std::nth_element(v.begin(), v.begin() + v.size() / 4, v.end());
  return std::sqrt(std::max(v[v.size() / 4], 1e-12f));
}

double psf_fwhm_of(const Image& psf) {
  Moments m = adaptive_moments(psf, nullptr, psf.width / 2, psf.height / 2, 1.5);
  return m.ok ? m.fwhm : 0;
}

}  // namespace

double fit_flux_ratio(const Image& science, const Image& reference, const Mask& mask,
                      const std::vector<Source>& stars, double radius) {
  std::vector<float> ratios;
  const int r = int(std::ceil(radius));
  for (const Source& s : stars) {
    if (s.saturated || s.near_edge || s.snr < 30) continue;
    int cx = int(std::lround(s.x)), cy = int(std::lround(s.y));
    if (cx - r < 0 || cy - r < 0 || cx + r >= science.width || cy + r >= science.height) continue;
    double fs = 0, fr = 0;
    bool clean = true;
    for (int y = cy - r; y <= cy + r && clean; ++y)
      for (int x = cx - r; x <= cx + r; ++x) {
        if ((x - s.x) * (x - s.x) + (y - s.y) * (y - s.y) > radius * radius) continue;
        if (mask.at(x, y)) {
          clean = false;
          break;
        }
        fs += science.at(x, y), fr += reference.at(x, y);
      }
    if (clean && fs > 0 && fr > 0) ratios.push_back(float(fr / fs));
  }
  if (ratios.size() < 3) return 1.0;
  return median_of(ratios);
}

namespace {
int zogy_fft_side(int tile, int margin, int side) { return fast_fft_size(std::min(tile, side) + 2 * margin); }

// The noise power spectrum (1 at every frequency for white noise) from the
// correlation at small lags, on the tiles' half-plane spectrum. A truncated
// correlation can dip below zero at some frequencies; the floor keeps the
// ZOGY weights finite there.
std::vector<float> noise_spectrum(const NoiseCorrelation& c, Fft2d& fft, int fw, int fh) {
  if (c.white()) return std::vector<float>(fft.spectrum_size(), 1.0f);
  FftBuffer<float> buf(size_t(fw) * fh);
  FftBuffer<std::complex<float>> spec(fft.spectrum_size());
  std::fill(buf.data(), buf.data() + size_t(fw) * fh, 0.0f);
  const int r = NoiseCorrelation::kReach;
  for (int dy = -r; dy <= r; ++dy)
    for (int dx = -r; dx <= r; ++dx) buf[size_t((dy + fh) % fh) * fw + size_t((dx + fw) % fw)] = c.at(dx, dy);
  fft.forward(buf.data(), spec.data());
  std::vector<float> out(fft.spectrum_size());
  for (size_t k = 0; k < out.size(); ++k) out[k] = std::max(spec[k].real(), 0.05f);
  return out;
}

// A tile's core [x0, x1) x [y0, y1) on its FFT grid of row length fw, which
// adds `margin` pixels on each side.
struct TileGrid {
  int x0, y0, x1, y1, margin, fw;
  bool in_core(int x, int y) const { return x >= x0 && y >= y0 && x < x1 && y < y1; }
  size_t index(int x, int y) const { return size_t(y - y0 + margin) * fw + size_t(x - x0 + margin); }
};

// Variance S_corr adds for a PSF model that is off by `fraction`: that
// fraction of each image's part of S is left over on every star (whose light,
// not noise, then peaks in S_corr). Zero on empty sky. `sn` and `s` are S_N
// and S at one pixel; S_R = S_N - S.
float psf_error_variance(float sn, float s, double fraction) {
  const double r = double(sn) - s;
  return float(fraction * fraction * (double(sn) * sn + r * r));
}

// How far the PSF models are off in a tile, as a fraction of a star's S_N
// and S_R: the median over its bright, unsaturated stars of
// sqrt(S^2 - V) / |(S_N, S_R)| at their centres. New and variable stars
// (near 1) are too few to move the median; a tile with fewer than five stars
// gets 0. Capped at 5%: beyond that the subtraction has failed, and the cap
// keeps transients on bright hosts detectable.
double measured_psf_error(const std::vector<Source>& stars, const Mask& mask, const TileGrid& g, const float* sn,
                          const float* s, const float* v) {
  std::vector<float> q;
  for (const Source& st : stars) {
    if (st.saturated || st.near_edge || st.snr < 30) continue;
    const int x = int(std::lround(st.x)), y = int(std::lround(st.y));
    if (!g.in_core(x, y) || mask.at(x, y)) continue;
    const size_t i = g.index(x, y);
    const double n = sn[i], r = double(sn[i]) - s[i], excess = double(s[i]) * s[i] - v[i];
    q.push_back(float(std::sqrt(std::max(0.0, excess) / std::max(n * n + r * r, 1e-30))));
  }
  if (q.size() < 5) return 0;
  std::nth_element(q.begin(), q.begin() + q.size() / 2, q.end());
  return std::min(double(q[q.size() / 2]), 0.05);
}

}  // namespace

void warm_zogy_plans(int width, int height) {
  const int tile = std::min(kZogyTile, std::max(width, height));
  Fft2d warm(zogy_fft_side(tile, kZogyMargin, width), zogy_fft_side(tile, kZogyMargin, height), 1);
}

Result<ZogyOutput> zogy_subtract(const ZogyInputs& in) {
  const Image& N = *in.science;
  const Image& R = *in.reference;
  const int w = N.width, h = N.height;
  if (in.science_psf.empty() || in.reference_psf.empty()) return Status::invalid("ZOGY needs both PSFs");
  const int tile = std::min(in.tile, std::max(w, h)), margin = in.margin;
  const int fw = zogy_fft_side(tile, margin, w), fh = zogy_fft_side(tile, margin, h);
  Fft2d fft(fw, fh, 1);  // tiles run in parallel; each transform on one thread
  const double Fn = 1.0, Fr = in.flux_ratio;
  const std::vector<float> Sn = noise_spectrum(in.science_noise, fft, fw, fh);
  const std::vector<float> Sr = noise_spectrum(in.reference_noise, fft, fw, fh);

  ZogyOutput out;
  out.diff = Image(w, h);
  out.variance = Image(w, h);
  out.score = Image(w, h);
  out.flux = Image(w, h);
  out.flux_err = Image(w, h);
  std::vector<double> fwhms;

  struct TileBox {
    int x0, y0, x1, y1;
  };
  std::vector<TileBox> tiles;
  for (int y = 0; y < h; y += tile)
    for (int x = 0; x < w; x += tile) tiles.push_back({x, y, std::min(x + tile, w), std::min(y + tile, h)});

  const int half = in.science_psf.width / 2;
#pragma omp parallel num_threads(in.threads)
  {
    const size_t nr = size_t(fw) * fh, nc = fft.spectrum_size();
    FftBuffer<float> rbuf(nr), pbuf(nr), snbuf(nr), inv_sd(nc);  // inv_sd: 1 / sqrt(ZOGY's denominator)
    FftBuffer<cf> Nh(nc), Rh(nc), Pn(nc), Pr(nc), work(nc), work2(nc), pdh(nc);
#pragma omp for schedule(dynamic)
    for (size_t t = 0; t < tiles.size(); ++t) {
      const TileBox& b = tiles[t];
      const TileGrid grid{b.x0, b.y0, b.x1, b.y1, margin, fw};
      // Per-tile PSFs where the tile has enough stars; the global ones otherwise.
      int region[4] = {b.x0 - margin, b.y0 - margin, b.x1 + margin, b.y1 + margin};
      Image psf_n = empirical_psf(N, *in.mask, *in.stars, half, 40, region);
      Image psf_r = psf_n.empty() ? Image() : empirical_psf(R, *in.mask, *in.stars, half, 40, region);
      if (psf_n.empty() || psf_r.empty()) psf_n = in.science_psf, psf_r = in.reference_psf;
      // Tile with margins, zero outside the image and on masked pixels.
      auto load = [&](const Image& img, FftBuffer<float>& buf) {
        std::fill(buf.data(), buf.data() + nr, 0.0f);
        for (int y = 0; y < fh; ++y) {
          int iy = b.y0 - margin + y;
          if (iy < 0 || iy >= h) continue;
          for (int x = 0; x < fw; ++x) {
            int ix = b.x0 - margin + x;
            if (ix < 0 || ix >= w) continue;
            if (in.mask->at(ix, iy) & (kMaskEdge | kMaskNoData | kMaskSaturated)) continue;
            buf[size_t(y) * fw + x] = img.at(ix, iy);
          }
        }
      };
      const double sn = background_sigma(*in.science_var, b.x0, b.y0, b.x1, b.y1);
      const double sr = background_sigma(*in.reference_var, b.x0, b.y0, b.x1, b.y1);
      load(N, rbuf);
      fft.forward(rbuf.data(), Nh.data());
      load(R, rbuf);
      fft.forward(rbuf.data(), Rh.data());
      place_psf(psf_n, pbuf, fw, fh);
      fft.forward(pbuf.data(), Pn.data());
      place_psf(psf_r, pbuf, fw, fh);
      fft.forward(pbuf.data(), Pr.data());

      const double FD = Fr * Fn / std::sqrt(sn * sn * Sn[0] * Fr * Fr + sr * sr * Sr[0] * Fn * Fn);
      // D's variance is 1 / FD^2 on the sky. On a galaxy or a star the inputs'
      // own variance is higher; the kernels are compact, so D's variance
      // follows the inputs' at the same pixel with the sky's weights.
      const double Vd_n = Sn[0] / (Fn * Fn), Vd_r = Sr[0] / (Fr * Fr);
      // D-hat into work, S-hat into work2; F_S accumulates over the full spectrum.
      double FS = 0;
      for (size_t k = 0; k < nc; ++k) {
        const float pn2 = std::norm(Pn[k]), pr2 = std::norm(Pr[k]);
        const double denom = sn * sn * Sn[k] * Fr * Fr * pr2 + sr * sr * Sr[k] * Fn * Fn * pn2 + 1e-20;
        const double sd = std::sqrt(denom);
        inv_sd[k] = float(1.0 / sd);
        const cf d = cf(float(Fr / sd)) * Pr[k] * Nh[k] - cf(float(Fn / sd)) * Pn[k] * Rh[k];
        const cf pd = cf(float(Fr * Fn / (FD * sd))) * Pr[k] * Pn[k];
        work[k] = d;
        work2[k] = cf(float(FD)) * d * std::conj(pd);
        pdh[k] = pd;
        // Real-to-complex spectra hold half the plane: count the mirrored half twice.
        const size_t col = k % size_t(fw / 2 + 1);
        const double mult = (col == 0 || (fw % 2 == 0 && col == size_t(fw / 2))) ? 1.0 : 2.0;
        FS += mult * Fn * Fn * Fr * Fr * pn2 * pr2 / denom;
      }
      FS /= double(fw) * fh;
      // D, in science flux units: divide by F_D.
      fft.inverse(work.data(), rbuf.data());
      for (int y = b.y0; y < b.y1; ++y)
        for (int x = b.x0; x < b.x1; ++x)
          out.diff.at(x, y) = float(rbuf[grid.index(x, y)] / FD);
      fft.inverse(work2.data(), pbuf.data());  // S
      // S_N, the science's part of S (S_R = S_N - S): a PSF model's error
      // leaves a fraction of each part on every star.
      const float sn_scale = float(FD * Fr);
      for (size_t k = 0; k < nc; ++k) work[k] = cf(sn_scale * inv_sd[k]) * Pr[k] * Nh[k] * std::conj(pdh[k]);
      fft.inverse(work.data(), snbuf.data());
      // Variance of S from each image's variance map through the squared
      // kernels k_n, k_r; the two convolutions add in Fourier space, so one
      // inverse transform serves both (Nh, no longer needed, holds the sum).
      for (int which = 0; which < 2; ++which) {
        const Image& V = which == 0 ? *in.science_var : *in.reference_var;
        const float scale = float(which == 0 ? Fn * Fr * Fr : Fr * Fn * Fn);
        for (size_t k = 0; k < nc; ++k) {
          const float inv_denom = scale * inv_sd[k] * inv_sd[k];
          work[k] = which == 0 ? cf(inv_denom * std::norm(Pr[k])) * std::conj(Pn[k])
                               : cf(inv_denom * std::norm(Pn[k])) * std::conj(Pr[k]);
        }
        fft.inverse(work.data(), rbuf.data());
        for (size_t i = 0; i < nr; ++i) rbuf[i] *= rbuf[i];  // k^2 in real space
        fft.forward(rbuf.data(), work.data());
        load(V, rbuf);
        fft.forward(rbuf.data(), work2.data());
        if (which == 0)
          for (size_t k = 0; k < nc; ++k) Nh[k] = work2[k] * work[k];
        else
          for (size_t k = 0; k < nc; ++k) Nh[k] += work2[k] * work[k];
      }
      fft.inverse(Nh.data(), rbuf.data());
      const double psf_error = measured_psf_error(*in.stars, *in.mask, grid, snbuf.data(), pbuf.data(), rbuf.data());
      for (int y = b.y0; y < b.y1; ++y)
        for (int x = b.x0; x < b.x1; ++x) {
          const size_t i = grid.index(x, y);
          float S = pbuf[i];
          float v = std::max(rbuf[i] + psf_error_variance(snbuf[i], S, psf_error), 1e-20f);
          out.score.at(x, y) = S / std::sqrt(v);
          out.flux.at(x, y) = float(S / FS);
          out.flux_err.at(x, y) = float(std::sqrt(v) / FS);
          out.variance.at(x, y) = float(Vd_n * in.science_var->at(x, y) + Vd_r * in.reference_var->at(x, y));
        }
      // P_D, the PSF of D, back in real space: its width serves shape
      // measurements. It changes slowly over the frame: every third tile
      // is enough for the median.
      if (t % 3 != 0) continue;
      fft.inverse(pdh.data(), rbuf.data());
      Image pd(2 * half + 1, 2 * half + 1);
      for (int y = -half; y <= half; ++y)
        for (int x = -half; x <= half; ++x)
          pd.at(x + half, y + half) = rbuf[size_t((y + fh) % fh) * fw + size_t((x + fw) % fw)];
      double fwhm_d = psf_fwhm_of(pd);
#pragma omp critical
      fwhms.push_back(fwhm_d > 0 ? fwhm_d : std::min(psf_fwhm_of(psf_n), psf_fwhm_of(psf_r)));
    }
  }
  std::nth_element(fwhms.begin(), fwhms.begin() + fwhms.size() / 2, fwhms.end());
  out.psf_fwhm = fwhms[fwhms.size() / 2];
  return out;
}

}  // namespace blink
