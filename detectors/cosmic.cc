#include "cosmic.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "nearby_widths.h"

namespace blink {

namespace {

// The pixel's charge is above twice its noise over `floor`: part of
// something, not sky (or not the galaxy a hit landed on).
bool stands_out(const Image& image, const Image& variance, int x, int y, float floor = 0) {
  float v = variance.at(x, y);
  return v > 0 && image.at(x, y) - floor > 2.0f * std::sqrt(v);
}

// A catalogued source whose width can be trusted: measured, unsaturated,
// clear of the border, and at least this bright.
bool well_measured(const Source& s, double min_snr) {
  return !s.saturated && !s.near_edge && s.snr >= min_snr && s.fwhm > 0;
}

// Median of the one-pixel-wide ring of radius r around (x, y), inside the image.
float ring_median(const Image& img, int x, int y, int r) {
  std::vector<float> ring;
  for (int dy = -r; dy <= r; ++dy)
    for (int dx = -r; dx <= r; ++dx) {
      const int d2 = dx * dx + dy * dy;
      if (d2 < r * r || d2 >= (r + 1) * (r + 1) || !img.contains(x + dx, y + dy)) continue;
      ring.push_back(img.at(x + dx, y + dy));
    }
  if (ring.empty()) return 0;
  std::nth_element(ring.begin(), ring.begin() + ring.size() / 2, ring.end());
  return ring[ring.size() / 2];
}

// A source's width across its narrowest axis.
double minor_fwhm(const Source& s) { return s.fwhm / std::sqrt(s.elongation); }

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

// L.A.Cosmic's Laplacian of the image block-replicated 2x2, negatives
// clipped, averaged back: each pixel's four combinations of one horizontal
// and one vertical neighbour. Needs 1 <= x < w-1, 1 <= y < h-1.
float laplacian_plus(const Image& img, int x, int y) {
  const float* up = img.row(y - 1);
  const float* row = img.row(y);
  const float* dn = img.row(y + 1);
  float v2 = 2 * row[x];
  return 0.25f * (std::max(0.0f, v2 - row[x - 1] - up[x]) + std::max(0.0f, v2 - row[x + 1] - up[x]) +
                  std::max(0.0f, v2 - row[x - 1] - dn[x]) + std::max(0.0f, v2 - row[x + 1] - dn[x]));
}

// The noise a pixel would have without whatever hit it: the least variance
// among it and its four neighbours, since a hit inflates its own (its
// photons) but rarely all four neighbours'.
float quiet_sigma(const Image& var, int x, int y) {
  float v = std::min({var.at(x, y), var.at(x - 1, y), var.at(x + 1, y), var.at(x, y - 1), var.at(x, y + 1)});
  return v > 0 ? std::sqrt(v) : 0.0f;
}

// Fine structure at a suspect, med3(I) - med7(med3(I)), from the 9x9
// neighbourhood only: suspects are few, so no whole-image median is made.
float fine_structure(const Image& img, int x, int y) {
  float med3[49];
  int n = 0;
  for (int dy = -3; dy <= 3; ++dy)
    for (int dx = -3; dx <= 3; ++dx) med3[n++] = box_median(img, x + dx, y + dy, 3);
  const float centre = med3[24];
  return std::max(centre - median_of(med3, 49), 0.01f);
}

// Curvature (2v - the two neighbours) along rows, columns and both
// diagonals, against what a Gaussian PSF of the given FWHM has at its peak.
class SharpnessTest {
 public:
  SharpnessTest(double psf_fwhm, double margin) {
    const double s2 = std::pow(psf_fwhm / 2.3548, 2);
    straight_ = float(margin * 2.0 * (1.0 - std::exp(-0.5 / s2)));
    diagonal_ = float(margin * 2.0 * (1.0 - std::exp(-1.0 / s2)));
  }
  // Where even a hot pixel (curvature 2v) would not stand out, the test is mute.
  bool usable() const { return straight_ < 1.8f && diagonal_ < 1.8f; }

  // The largest curvature over the PSF's at its peak (1 for a star at the
  // margin the test was built with), or 0 where the pixel is not positive.
  double ratio(const Image& img, int x, int y) const {
    const float v = img.at(x, y);
    if (v <= 0) return 0;
    const Curvature c = curvature(img, x, y);
    return std::max(c.straight / straight_, c.diagonal / diagonal_) / v;
  }

  // The largest excess of curvature over the PSF's, in units of its noise.
  double excess(const Image& img, const Image& var, int x, int y) const {
    const float v = img.at(x, y), n = var.at(x, y);
    if (v <= 0 || n <= 0) return 0;
    const Curvature c = curvature(img, x, y);
    return std::max(c.straight - straight_ * v, c.diagonal - diagonal_ * v) /
           std::sqrt(6.0f * n);  // var(2v - a - b) = 6 var
  }

 private:
  struct Curvature {
    float straight, diagonal;  // the larger of rows and columns, of the two diagonals
  };
  static Curvature curvature(const Image& img, int x, int y) {
    const float v2 = 2 * img.at(x, y);
    auto c = [&](int dx, int dy) { return v2 - img.at(x - dx, y - dy) - img.at(x + dx, y + dy); };
    return {std::max(c(1, 0), c(0, 1)), std::max(c(1, 1), c(1, -1))};
  }

  float straight_ = 0, diagonal_ = 0;
};

}  // namespace

double sharpest_psf_width(const std::vector<Source>& sources, double psf_fwhm) {
  std::vector<double> f;
  for (const Source& s : sources)
    if (well_measured(s, 20) && minor_fwhm(s) > 0.4 * psf_fwhm) f.push_back(minor_fwhm(s));
  if (f.size() < 10) return psf_fwhm;
  std::nth_element(f.begin(), f.begin() + f.size() / 2, f.end());
  return std::min(psf_fwhm, f[f.size() / 2]);
}

double star_curvature_margin(const Image& image, const std::vector<Source>& sources, double psf_fwhm) {
  constexpr double kFloor = 1.3;  // Moffat cores curve ~15% more than a Gaussian of the same FWHM
  const SharpnessTest unit(psf_fwhm, 1.0);
  std::vector<double> r;
  for (const Source& s : sources) {
    // Star-like by their moments: hits are narrower, galaxies wider.
    if (!well_measured(s, 50) || minor_fwhm(s) < 0.85 * psf_fwhm || minor_fwhm(s) > 1.3 * psf_fwhm) continue;
    int x = int(std::lround(s.x)), y = int(std::lround(s.y));
    if (x < 2 || y < 2 || x >= image.width - 2 || y >= image.height - 2) continue;
    for (int dy = -1; dy <= 1; ++dy)  // the peak pixel near the centroid
      for (int dx = -1; dx <= 1; ++dx)
        if (image.at(x + dx, y + dy) > image.at(x, y)) x += dx, y += dy, dx = dy = 2;
    r.push_back(unit.ratio(image, x, y));
  }
  if (r.size() < 10) return kFloor;
  // The median star, with room for the spread between stars.
  std::nth_element(r.begin(), r.begin() + r.size() / 2, r.end());
  return std::max(kFloor, 1.15 * r[r.size() / 2]);
}

int flag_cosmic_rays(const Image& image, const Image& variance, Mask& mask, double psf_fwhm, uint8_t bit,
                     int threads, double sigma_clip, double margin) {
  const int w = image.width, h = image.height;
  if (w < 8 || h < 8) return 0;
  // Laplacian significance of every pixel.
  Image snr(w, h);
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int y = 1; y < h - 1; ++y)
    for (int x = 1; x < w - 1; ++x) {
      float s = quiet_sigma(variance, x, y);
      snr.at(x, y) = s > 0 ? laplacian_plus(image, x, y) / (2.0f * s) : 0.0f;
    }
  // Stars have fine structure comparable to their Laplacian; cosmic rays
  // have far less. Undersampled stars look sharper, so the limit rises.
  const double flim = psf_fwhm >= 2.5 ? 2.0 : psf_fwhm <= 1.5 ? 5.0 : 2.0 + 3.0 * (2.5 - psf_fwhm);
  // No image through the optics curves more sharply, in any direction, than
  // the PSF does at its peak; a track does across itself even when it is
  // long (which hides it from the isotropic Laplacian). The margin allows for
  // cores more peaked than a Gaussian. Where the PSF is barely sampled the
  // test cannot separate stars from hits, and L.A.Cosmic's fine-structure
  // test decides instead.
  const SharpnessTest sharp(psf_fwhm, margin);
  auto is_hit = [&](int x, int y) {
    if (sharp.usable()) return sharp.excess(image, variance, x, y) > sigma_clip;
    return laplacian_plus(image, x, y) / fine_structure(image, x, y) > flim;
  };
  // Saturated cores have flat tops with sharp rims; they are masked already.
  constexpr uint8_t kUntrusted = kMaskSaturated | kMaskNoData;
  std::vector<int> flagged;
#pragma omp parallel num_threads(threads)
  {
    std::vector<int> mine;
#pragma omp for schedule(dynamic, 32) nowait
    for (int y = 4; y < h - 4; ++y)
      for (int x = 4; x < w - 4; ++x) {
        // Suspects first, by the cheap tests: a significant Laplacian edge
        // that is not just part of a smooth extended source.
        float s = snr.at(x, y);
        if (mask.at(x, y) & kUntrusted) continue;
        if (s <= sigma_clip || s - box_median(snr, x, y, 5) <= sigma_clip) continue;
        if (is_hit(x, y)) mine.push_back(y * w + x);
      }
#pragma omp critical
    flagged.insert(flagged.end(), mine.begin(), mine.end());
  }
  std::sort(flagged.begin(), flagged.end());  // thread order must not change the result
  for (int idx : flagged) mask.pixels[idx] |= bit;
  // Grow along the track, as far as it goes, into neighbours with a lesser
  // but real Laplacian edge that is still sharper than a star's: the fainter
  // parts of a long or wide hit, but not the star it may have landed on.
  int grown = 0;
  std::vector<int> frontier = flagged, next, rim;
  auto for_neighbours = [&](int idx, auto&& f) {
    int x = idx % w, y = idx / w;
    for (int dy = -1; dy <= 1; ++dy)
      for (int dx = -1; dx <= 1; ++dx) {
        int xx = x + dx, yy = y + dy;
        if (xx < 2 || yy < 2 || xx >= w - 2 || yy >= h - 2 || (mask.at(xx, yy) & (bit | kUntrusted))) continue;
        f(xx, yy);
      }
  };
  while (!frontier.empty()) {
    next.clear();
    for (int idx : frontier)
      for_neighbours(idx, [&](int xx, int yy) {
        // Charge above the noise, with an edge, sharper than a star: not
        // a noise pixel that happens to curve.
        if (!stands_out(image, variance, xx, yy) || snr.at(xx, yy) <= 0.3 * sigma_clip) return;
        if (!sharp.usable() || sharp.excess(image, variance, xx, yy) > 1.0) {
          mask.at(xx, yy) |= bit;
          next.push_back(yy * w + xx);
          ++grown;
        }
      });
    rim.insert(rim.end(), frontier.begin(), frontier.end());
    frontier.swap(next);
  }
  // The flanks of a hit have no Laplacian edge of their own but still carry
  // its charge: one more ring where the pixel stands out of the noise.
  std::vector<int> flanks;
  for (int idx : rim)
    for_neighbours(idx, [&](int xx, int yy) {
      if (stands_out(image, variance, xx, yy)) flanks.push_back(yy * w + xx);
    });
  for (int idx : flanks)
    if (!(mask.pixels[idx] & bit)) mask.pixels[idx] |= bit, ++grown;
  return int(flagged.size()) + grown;
}

namespace {

// The PSF's narrowest width where a source sits: the lower quartile over the
// nearest stars (bright, unsaturated, and not far from the frame's width,
// which leaves out galaxies and hits), so a PSF that varies over the frame
// does not make the stars in its sharp corner look like hits.
class LocalPsfWidth {
 public:
  LocalPsfWidth(const std::vector<Source>& sources, double psf_minor) : fallback_(psf_minor) {
    for (const Source& s : sources) {
      const double m = minor_fwhm(s);
      if (well_measured(s, 20) && m > 0.75 * psf_minor && m < 1.5 * psf_minor) stars_.add(s.x, s.y, m);
    }
  }
  double at(const Source& who) const {
    constexpr size_t kNearest = 12;
    if (stars_.size() < kNearest + 1) return fallback_;
    // The sharp side: blends and galaxies only widen.
    const double w = stars_.quantile_near(who.x, who.y, kNearest, 0.25);
    return w > 0 ? w : fallback_;
  }

 private:
  NearbyWidths stars_;
  double fallback_;
};

// Robust relative spread (MAD-based sigma over median) of the bright
// sources' minor widths: a few percent where the PSF is steady over the
// frame, much more where stars are trailed by varying amounts or blended.
double star_width_spread(const std::vector<Source>& sources, double psf_fwhm) {
  std::vector<double> m;
  for (const Source& s : sources)
    if (well_measured(s, 50) && minor_fwhm(s) > 0.5 * psf_fwhm && minor_fwhm(s) < 2.0 * psf_fwhm)
      m.push_back(minor_fwhm(s));
  if (m.size() < 10) return 1.0;  // unknown: as good as no test
  std::nth_element(m.begin(), m.begin() + m.size() / 2, m.end());
  const double med = m[m.size() / 2];
  for (double& v : m) v = std::abs(v - med);
  std::nth_element(m.begin(), m.begin() + m.size() / 2, m.end());
  return 1.4826 * m[m.size() / 2] / med;
}

}  // namespace

int flag_sharp_sources(const Image& image, const Image& variance, Mask& mask, const std::vector<Source>& sources,
                       double psf_fwhm, uint8_t bit) {
  // How much narrower than the local PSF a source's minor axis must be to
  // be called a hit: the fainter, the noisier its moments. Stars measured
  // on simulated and real frames scatter down to 0.8 at S/N 20-50 and to
  // 0.6 at S/N 8-20.
  // Where stars' widths spread more than that (a trailed or crowded frame),
  // the limits drop by three times the extra spread.
  const double slack = 3.0 * std::max(0.0, star_width_spread(sources, psf_fwhm) - 0.04);
  auto narrowest_star = [&](double snr) {
    return (snr >= 50 ? 0.85 : snr >= 20 ? 0.78 : snr >= 10 ? 0.55 : 0.0) - slack;
  };
  constexpr int kMaxPixels = 600;  // a longer "track" is a star, a galaxy or a satellite
  constexpr uint8_t kUntrusted = kMaskSaturated | kMaskNoData;
  // Moments cannot tell widths apart on a barely sampled PSF.
  if (psf_fwhm < 2.0) return 0;
  const LocalPsfWidth local(sources, psf_fwhm);
  const int w = image.width, h = image.height;
  // Scratch bits no MaskBit uses: pixels already in the region being grown
  // (cleared after each), and the centres of the sources that are not hits.
  constexpr uint8_t kVisited = 1 << 7, kProtected = 1 << 6;
  auto is_narrow = [&](const Source& s) {
    if (s.saturated || s.near_edge || s.fwhm <= 0) return false;
    const double minor = minor_fwhm(s), limit = narrowest_star(s.snr);
    // The global PSF first (cheap), with room for its variation; the local one decides.
    return minor < 1.2 * limit * psf_fwhm && minor < limit * local.at(s);
  };
  std::vector<const Source*> narrow;
  std::vector<int> protected_centres;
  for (const Source& s : sources) {
    if (is_narrow(s)) {
      narrow.push_back(&s);
      continue;
    }
    // A region that reaches another source's centre has run into a star or galaxy.
    int x = int(std::lround(s.x)), y = int(std::lround(s.y));
    if (!mask.contains(x, y)) continue;
    mask.at(x, y) |= kProtected;
    protected_centres.push_back(y * w + x);
  }
  int total = 0;
  std::vector<int> seen;
  for (const Source* sp : narrow) {
    const Source& s = *sp;
    int x0 = int(std::lround(s.x)), y0 = int(std::lround(s.y));
    if (x0 < 1 || y0 < 1 || x0 >= w - 1 || y0 >= h - 1 || (mask.at(x0, y0) & kUntrusted)) continue;
    // The connected pixels above the noise (or already flagged: the Laplacian
    // may have found the track's spine) within reach of the hit's own size,
    // measured from what surrounds it (a hit may land on a galaxy);
    // abandoned if they spread too far.
    const double reach = std::clamp(2.0 * s.fwhm * std::sqrt(s.elongation) + 2.0, 4.0, 40.0);
    const float floor = ring_median(image, x0, y0, int(reach) + 1);
    auto belongs = [&](int x, int y) {
      if (std::hypot(x - s.x, y - s.y) > reach) return false;
      return (mask.at(x, y) & bit) || stands_out(image, variance, x, y, floor);
    };
    if (!belongs(x0, y0)) continue;
    seen.assign(1, y0 * w + x0);
    mask.at(x0, y0) |= kVisited;
    for (size_t i = 0; i < seen.size() && seen.size() <= size_t(kMaxPixels); ++i) {
      int x = seen[i] % w, y = seen[i] / w;
      for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx) {
          int xx = x + dx, yy = y + dy;
          if (xx < 0 || yy < 0 || xx >= w || yy >= h || (mask.at(xx, yy) & (kVisited | kUntrusted))) continue;
          if (!belongs(xx, yy)) continue;
          mask.at(xx, yy) |= kVisited;
          seen.push_back(yy * w + xx);
        }
    }
    bool hit = seen.size() <= size_t(kMaxPixels), has_spine = false;
    for (int idx : seen) {
      hit = hit && !(mask.pixels[idx] & kProtected);
      has_spine = has_spine || (mask.pixels[idx] & bit);
    }
    // Where the Laplacian found the hit's spine, only its flanks are missing:
    // stay within two pixels of it, so a star the hit landed on keeps its core.
    auto near_spine = [&](int idx) {
      const int x = idx % w, y = idx / w;
      for (int dy = -2; dy <= 2; ++dy)
        for (int dx = -2; dx <= 2; ++dx)
          if (mask.contains(x + dx, y + dy) && (mask.at(x + dx, y + dy) & bit)) return true;
      return false;
    };
    std::vector<int> add;
    if (hit)
      for (int idx : seen)
        if (!(mask.pixels[idx] & bit) && (!has_spine || near_spine(idx))) add.push_back(idx);
    for (int idx : seen) mask.pixels[idx] &= uint8_t(~kVisited);
    for (int idx : add) mask.pixels[idx] |= bit;
    total += int(add.size());
  }
  for (int idx : protected_centres) mask.pixels[idx] &= uint8_t(~kProtected);
  return total;
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
