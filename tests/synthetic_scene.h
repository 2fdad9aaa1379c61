// Small synthetic star fields for unit tests: Gaussian stars on a flat sky
// with Gaussian noise, deterministic from a seed. Independent of blink-sim so
// the detectors' tests do not depend on the simulator's choices.
#pragma once

#include <cmath>
#include <random>
#include <vector>

#include "fits_io.h"
#include "image.h"
#include "wcs.h"

namespace blink::testing {

struct Star {
  double x, y, flux;
};

inline std::vector<Star> random_stars(int n, int w, int h, uint64_t seed, double fmin = 2000,
                                      double fmax = 200000) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> ux(15, w - 15), uy(15, h - 15), ul(std::log(fmin), std::log(fmax));
  std::vector<Star> s;
  for (int i = 0; i < n; ++i) s.push_back({ux(rng), uy(rng), std::exp(ul(rng))});
  return s;
}

// Adds a pixel-integrated (5x5 subsampled) circular Gaussian of the given FWHM.
inline void add_gaussian(Image& img, double x, double y, double flux, double fwhm) {
  double s = fwhm / 2.3548;
  int r = int(std::ceil(5 * s)) + 1;
  for (int yy = int(y) - r; yy <= int(y) + r; ++yy)
    for (int xx = int(x) - r; xx <= int(x) + r; ++xx) {
      if (!img.contains(xx, yy)) continue;
      double acc = 0;
      for (int j = 0; j < 5; ++j)
        for (int i = 0; i < 5; ++i) {
          double dx = xx - 0.4 + 0.2 * i - x, dy = yy - 0.4 + 0.2 * j - y;
          acc += std::exp(-0.5 * (dx * dx + dy * dy) / (s * s));
        }
      img.at(xx, yy) += float(flux * acc / 25 / (2 * M_PI * s * s));
    }
}

struct Scene {
  int width = 256, height = 256;
  double sky = 1000, gain = 2, read_noise = 5, fwhm = 3;
  double offset_x = 0, offset_y = 0;  // where the stars land relative to the catalogue
  uint64_t noise_seed = 1;
};

// Renders `stars` (shifted by the scene offset) on a flat sky with Poisson-like noise.
inline Image render(const Scene& sc, const std::vector<Star>& stars) {
  Image img(sc.width, sc.height, float(sc.sky));
  for (const Star& s : stars) add_gaussian(img, s.x + sc.offset_x, s.y + sc.offset_y, s.flux, sc.fwhm);
  std::mt19937_64 rng(sc.noise_seed);
  std::normal_distribution<double> n01(0, 1);
  for (float& v : img.pixels) {
    double var = std::max(v, 0.0f) / sc.gain + (sc.read_noise / sc.gain) * (sc.read_noise / sc.gain);
    v += float(std::sqrt(var) * n01(rng));
  }
  return img;
}

// A FitsImage as decode_fits would return it, with a TAN WCS whose pixel
// centre sits at (cx, cy) so that the catalogue offset is described exactly.
inline FitsImage as_fits(const Image& img, const Scene& sc, double wcs_dx, double wcs_dy) {
  std::vector<FitsCard> cards = tan_wcs_cards({150.0, 2.0}, {img.width / 2.0 + wcs_dx, img.height / 2.0 + wcs_dy}, 1.0, 0.0);
  cards.push_back({"GAIN", sc.gain, ""});
  cards.push_back({"RDNOISE", sc.read_noise, ""});
  cards.push_back({"SATURATE", 60000.0, ""});
  cards.push_back({"MAGZP", 28.0, ""});
  auto bytes = encode_fits(img, cards);
  auto decoded = decode_fits(bytes->data(), bytes->size());
  return std::move(decoded).value();
}

}  // namespace blink::testing
