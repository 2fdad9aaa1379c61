// Detector defects learned from the stream: a hot pixel or a warm column sits
// at the same detector position in every exposure, while cosmic rays and the
// sky move. Pixels flagged in most exposures of a detector become bad pixels.
#pragma once

#include <cstdint>
#include <vector>

#include "image.h"
#include "status.h"

namespace blink {

// What one exposure says about its detector: the pixels sharper than the PSF
// and the columns whose median stands above the sky.
struct DefectObservation {
  int width = 0, height = 0;
  std::vector<uint32_t> sharp_pixels;  // indices y * width + x
  std::vector<uint8_t> warm_columns;   // 1 per column that stood out
};

// `flags` has kMaskCosmicRay on the sharp pixels; `image` is background
// subtracted with noise `rms`.
DefectObservation observe_defects(const Mask& flags, const Image& image, const Image& rms);

// Not thread-safe: one model per detector, updated by one thread at a time.
class BadPixelModel {
 public:
  BadPixelModel() = default;
  BadPixelModel(int width, int height);

  // Counts one exposure of this detector; ignored if its size differs.
  void observe(const DefectObservation& seen);

  // kMaskBadPixel wherever a defect persisted in at least `min_fraction` of at
  // least `min_exposures` exposures; empty before that.
  Mask mask(int min_exposures = 3, double min_fraction = 0.5) const;

  int exposures() const { return exposures_; }
  int width() const { return width_; }
  int height() const { return height_; }

  // A compact binary form for storage (versioned, checked on reading).
  std::vector<uint8_t> serialize() const;
  static Result<BadPixelModel> deserialize(const std::vector<uint8_t>& bytes);

 private:
  int width_ = 0, height_ = 0, exposures_ = 0;
  std::vector<uint16_t> pixel_counts_;
  std::vector<uint16_t> column_counts_;
};

}  // namespace blink
