// A catalogue of the compact sources on a background-subtracted image: used
// to measure the PSF, refine the alignment, pick kernel-fitting stamps and
// tell a candidate how close it sits to something already in the reference.
#pragma once

#include <limits>
#include <vector>

#include "image.h"

namespace blink {

struct Source {
  double x = 0, y = 0;
  double flux = 0;       // aperture flux, ADU
  double snr = 0;        // aperture flux / its sky noise
  double peak = 0;       // brightest pixel above background
  double fwhm = 0;       // from adaptive moments, pixels
  double elongation = 1;
  bool saturated = false;   // a saturated pixel lies in its aperture
  bool near_edge = false;   // within `edge` pixels of the border or of missing data
  double isolation = 1e9;   // pixels to the nearest other catalogued source
};

struct SourceOptions {
  double threshold = 5.0;     // detection S/N on the smoothed image
  int min_pixels = 5;
  double smooth_sigma = 1.2;  // pixels
  int edge = 12;
  size_t max_sources = 20000; // the brightest are kept
};

// Finds sources on `image` (background already subtracted) with per-pixel sky
// noise `rms`. Pixels with mask bits set are not detected on.
std::vector<Source> extract_sources(const Image& image, const Image& rms, const Mask& mask,
                                    const SourceOptions& options, int threads);

// The image's PSF width, from the bright, isolated, unsaturated, round sources.
struct PsfEstimate {
  double fwhm = 0;        // pixels; 0 when no star was usable
  double elongation = 1;
  int stars = 0;
};
PsfEstimate estimate_psf(const std::vector<Source>& sources);

}  // namespace blink
