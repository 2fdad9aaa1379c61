// Finding point sources on a difference image: a PSF matched filter turned
// into a significance image whose empty sky is unit normal, then connected
// pixels above the threshold.
#pragma once

#include <vector>

#include "candidate.h"
#include "difference.h"

namespace blink {

struct Significance {
  Image z;                   // matched-filter S/N per pixel, calibrated on empty sky
  double correlation = 1;    // empirical / independent-pixel noise of the filtered image
  double pixel_noise_ratio = 1;  // robust std of diff/sqrt(variance) on unmasked pixels
};

Significance significance_image(const DifferenceImage& d, int threads);

struct DetectionOptions {
  double threshold = 5.0;
  int min_pixels = 3;
  int max_candidates = 2000;
};

// Detections, most significant first, with their peak position in x, y and
// their peak significance in snr (measure_candidate refines both).
std::vector<Candidate> find_detections(const DifferenceImage& d, const Significance& s,
                                       const DetectionOptions& options);

}  // namespace blink
