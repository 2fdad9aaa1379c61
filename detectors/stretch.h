// Display stretches: a float stamp (a cutout, NaN outside the image or where
// masked) to 8-bit grey pixels a person can look at. Pure functions; safe to
// call from any thread.
//
// Three kinds, chosen by what the stamp shows:
//   kZscale    IRAF's zscale limits, linear in between: faint structure in a
//              science or reference stamp, bright cores saturated.
//   kAsinh     zscale's lower limit, an upper limit high enough to keep bright
//              cores (the 99.5th percentile), and an asinh curve: faint sky and
//              a star's core both visible.
//   kSymmetric for difference stamps: symmetric about zero, so a negative
//              residual is dark, a positive one bright and zero mid-grey
//              (kMidGrey); the half-width comes from zscale.
// NaN (and infinite) pixels are always kNanGrey, whatever the stretch.
#pragma once

#include <cstdint>

#include "image.h"
#include "status.h"

namespace blink {

using GreyImage = Plane<uint8_t>;  // 8-bit display pixels, 0 black .. 255 white

enum class StretchKind { kZscale, kAsinh, kSymmetric };

inline constexpr uint8_t kNanGrey = 64;   // outside the image or masked: a fixed mid-dark grey
inline constexpr uint8_t kMidGrey = 128;  // zero in a symmetric stretch; every pixel of a flat stamp
inline constexpr int kMaxUpscale = 16;

// IRAF's zscale parameters (astropy's ZScaleInterval uses the same defaults).
struct ZscaleParams {
  int max_samples = 1000;   // at most this many finite pixels, at an even stride over the stamp
  double contrast = 0.25;   // the fitted slope is divided by this
  double reject_sigma = 2.5;
  int max_iterations = 5;
  double max_reject = 0.5;  // give up on the fit when more than this fraction is rejected
  int min_pixels = 5;
};

struct DisplayLimits {
  float low = 0;
  float high = 0;
  bool valid = false;  // false when the stamp has no finite pixel
};

// zscale: sample the finite pixels, sort them, fit a line to sorted value
// against rank with iterative k-sigma rejection (rejections grown by 1% of the
// samples), and take median -/+ the slope / contrast over the half-ranges,
// bounded by the smallest and largest sample. When the fit rejects too much,
// the limits are the smallest and largest sample.
DisplayLimits zscale_limits(const Image& stamp, const ZscaleParams& params = {});

// The limits `kind` maps from black to white: zscale's (kZscale); zscale's
// low and the larger of zscale's high and the 99.5th percentile (kAsinh);
// -h..+h with h the larger magnitude of zscale's two (kSymmetric).
DisplayLimits stretch_limits(const Image& stamp, StretchKind kind);

// Renders `stamp` with `kind` between its own stretch_limits, each pixel
// repeated `upscale` x `upscale` times (nearest neighbour, so browsers do not
// blur a 63-pixel stamp). Fails on an empty stamp or an upscale outside
// 1..kMaxUpscale.
Result<GreyImage> render_stamp(const Image& stamp, StretchKind kind, int upscale = 1);

// The same between given limits: render the reference with the science
// stamp's limits and blinking between them compares like with like (each with
// its own limits, the sky's noise alone would seem to flicker). Limits that
// are not valid, or empty (low == high), render every finite pixel kMidGrey.
Result<GreyImage> render_stamp(const Image& stamp, StretchKind kind, int upscale,
                               const DisplayLimits& limits);

}  // namespace blink
