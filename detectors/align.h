// Puts the reference on the science image's pixel grid: a geometric map from
// the two WCSs, refined by matching stars, then Lanczos-3 resampling that
// conserves flux. Masks travel with the pixels.
#pragma once

#include <vector>

#include "image.h"
#include "sources.h"
#include "status.h"
#include "wcs.h"

namespace blink {

// Science pixel -> reference pixel, sampled on a coarse grid and
// interpolated bilinearly (the WCS maps are smooth on these scales).
class PixelMap {
 public:
  // From the WCSs; when both are null the map is the identity.
  static Result<PixelMap> from_wcs(const Wcs* science, const Wcs* reference, int width, int height,
                                   int step = 64);

  void map(double x, double y, double& rx, double& ry) const;
  // Maps every pixel centre of row `y` at once (x = 0..width-1): the fast path for resampling.
  void map_row(int y, double* rx, double* ry) const;
  // Adds an affine correction in reference pixels: r += c0 + c1*x + c2*y (per axis).
  void add_affine(const double cx[3], const double cy[3]);
  // The inverse: the science pixel mapped to reference pixel (rx, ry).
  void unmap(double rx, double ry, double& x, double& y) const;
  // Reference pixel area per science pixel (1 for equal scales).
  double area_ratio(double x, double y) const;

  int width() const { return width_; }
  int height() const { return height_; }

 private:
  int width_ = 0, height_ = 0, nx_ = 0, ny_ = 0;
  std::vector<double> node_x_, node_y_;  // science coordinates of the nodes, per axis
  std::vector<double> rx_, ry_;          // reference coordinates at each node
  void locate(double v, const std::vector<double>& nodes, int& i, double& f) const;
};

struct AlignmentFit {
  int matched = 0;          // star pairs used in the final fit
  double rms_residual = 0;  // pixels, after the fit
  double shift_x = 0, shift_y = 0;  // the correction at the image centre
};

// Matches reference stars to science stars through `map` and folds the fitted
// affine correction into it. `search_radius` is how far the first guess may be off.
AlignmentFit refine_with_stars(PixelMap& map, const std::vector<Source>& science,
                               const std::vector<Source>& reference, double search_radius);

// Resamples `reference` (and its mask) onto the science grid through `map`.
// Output pixels with no reference data get kMaskEdge. When `variance` is
// given it is propagated into `out_variance` with the squared weights'
// sum: interpolation averages noise down, and the variance must say so.
void resample_lanczos3(const Image& reference, const Image* variance, const Mask& reference_mask,
                       const PixelMap& map, Image& out, Image* out_variance, Mask& out_mask, int threads);

}  // namespace blink
