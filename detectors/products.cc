#include "products.h"

#include <cmath>

namespace blink {

PsfFlux DifferenceProducts::forced_flux(double x, double y) const {
  const DifferenceImage& d = difference;
  if (!flux.empty()) {
    // Bilinear in the flux map: it is a matched-filter output, smooth on the PSF's scale.
    int x0 = int(std::floor(x)), y0 = int(std::floor(y));
    if (x0 < 0 || y0 < 0 || x0 + 1 >= flux.width || y0 + 1 >= flux.height) return PsfFlux{};
    double fx = x - x0, fy = y - y0;
    auto lerp = [&](const Image& m) {
      return (1 - fy) * ((1 - fx) * m.at(x0, y0) + fx * m.at(x0 + 1, y0)) +
             fy * ((1 - fx) * m.at(x0, y0 + 1) + fx * m.at(x0 + 1, y0 + 1));
    };
    PsfFlux f;
    f.flux = lerp(flux);
    f.error = lerp(flux_err) * noise_correlation;
    f.ok = std::isfinite(f.flux) && f.error > 0;
    return f;
  }
  PsfFlux f = psf_fit_flux(d.diff, d.variance, &d.mask, kMaskEdge | kMaskNoData, x, y, d.psf_fwhm);
  f.flux *= aperture_correction / d.flux_scale;
  f.error *= noise_correlation * aperture_correction / d.flux_scale;
  return f;
}

void PixelMap::unmap(double rx, double ry, double& x, double& y) const {
  // The map is close to a shift locally: a few fixed-point steps converge.
  x = rx, y = ry;
  for (int i = 0; i < 6; ++i) {
    double mx, my;
    map(x, y, mx, my);
    x += rx - mx, y += ry - my;
  }
}

void DifferenceProducts::reference_to_science(double rx, double ry, double& x, double& y) const {
  map.unmap(rx, ry, x, y);
}

Image cutout(const Image& image, double x, double y, int size) {
  Image out(size, size, NAN);
  const int cx = int(std::lround(x)), cy = int(std::lround(y)), half = size / 2;
  for (int j = 0; j < size; ++j)
    for (int i = 0; i < size; ++i) {
      int xx = cx - half + i, yy = cy - half + j;
      if (image.contains(xx, yy)) out.at(i, j) = image.at(xx, yy);
    }
  return out;
}

}  // namespace blink
