// Connected groups of pixels above a threshold: the footprints of sources.
#pragma once

#include <vector>

#include "image.h"

namespace blink {

struct Segment {
  int npix = 0;
  int peak_x = 0, peak_y = 0;
  float peak = 0;
  int xmin = 0, xmax = 0, ymin = 0, ymax = 0;
  bool touches_mask = false;  // some pixel of the footprint or its border is masked
};

// 8-connected components of pixels with value > threshold and no bit of
// `skip_bits` set in `mask` (pixels next to such a mask mark the segment as
// touching it). Components smaller than `min_pixels` are dropped.
std::vector<Segment> find_segments(const Image& values, float threshold, const Mask& mask,
                                   uint8_t skip_bits, int min_pixels);

}  // namespace blink

namespace blink {

// Local maxima of `values` above `threshold`: each pixel that is the largest
// within `radius` (Chebyshev), skipping masked pixels. Splits blended
// footprints that find_segments would merge. `npix` counts the pixels above
// threshold within the radius; touches_mask says whether any of them is masked.
std::vector<Segment> find_peaks(const Image& values, float threshold, const Mask& mask, uint8_t skip_bits,
                                int radius);

}  // namespace blink
