// Detector artefacts: hot pixels and warm columns (fixed per ccd, in every
// exposure of it, scaling with exposure time like the dark current they are),
// cosmic rays (fresh every exposure, never PSF-shaped), and saturation (the
// ADC clips at SATURATE and the charge of a saturated star spills along its
// columns as bleed trails).
#pragma once

#include <cstdint>
#include <vector>

#include "image.h"
#include "rng.h"

namespace blink::sim {

struct HotPixel {
  int x, y;
  double rate_adu_s;
};
struct WarmColumn {
  int x, y0, y1;  // inclusive rows
  double rate_adu_s;
};
struct DetectorDefects {
  std::vector<HotPixel> hot;
  std::vector<WarmColumn> warm;
};

// About one hot pixel per 20 000 (+200..30000 ADU in 30 s) and one or two warm
// columns, drawn once per ccd.
DetectorDefects make_defects(uint64_t seed, int ccd, int width, int height);
// Adds the defects' dark charge for `exptime_s` to the noiseless expectation.
void add_dark_current(const DetectorDefects& defects, double exptime_s, Image& expected);

struct CosmicRay {
  double x, y;    // centre of the track
  double length;  // pixels, 1-12
  double width;   // FWHM across the track, 0.5-2 px
  double angle_rad;
  double peak_adu;  // brightest pixel, 300-30000
};
// About one per 30 000 pixels per 30 s of exposure.
std::vector<CosmicRay> draw_cosmic_rays(Rng& rng, int width, int height, double exptime_s);
// Deposits the track and returns the ADU it added.
double add_cosmic_ray(const CosmicRay& ray, Image& image);

// Charge above `saturate` flows along the column, half up and half down,
// filling pixels to `saturate`; then everything is clipped there.
void bleed_and_clip(Image& image, double saturate);

// A vertical run of saturated pixels, bleed trails included.
struct SaturatedRun {
  int x, y0, y1;
};
// Where bleed_and_clip would leave saturated pixels, without touching `image`.
std::vector<SaturatedRun> predict_saturation(const Image& image, double saturate);
// True when (x, y) is within `distance` pixels of any run.
bool near_saturation(const std::vector<SaturatedRun>& runs, double x, double y, double distance);

}  // namespace blink::sim
