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
// (cosmic rays move, hot pixels stay) and the warm column segments.
struct DefectObservation {
  int width = 0, height = 0;
  std::vector<uint32_t> pixels;  // indices y * width + x
};

// Warm columns: a charge trap or a warm column lifts a one-pixel-wide segment
// running to one end of the column, faintly per pixel but significantly over
// its length. Nothing on the sky looks like that. Sets kMaskBadPixel on the
// segments found (each at least `min_length` rows, `threshold` sigma in all)
// and returns how many columns had one. `image` is background subtracted.
int flag_warm_columns(const Image& image, const Image& rms, Mask& mask, int min_length = 48,
                      double threshold = 8.0, int threads = 1);

// The defects seen in `flags`: kMaskCosmicRay and kMaskBadPixel pixels.
DefectObservation observe_defects(const Mask& flags);

// Not thread-safe: one model per detector, updated by one thread at a time.
class BadPixelModel {
 public:
  BadPixelModel() = default;
  BadPixelModel(int width, int height);

  // Counts one exposure of this detector; ignored if its size differs.
  void observe(const DefectObservation& seen);

  // kMaskBadPixel wherever a defect persisted in at least `min_fraction` of at
  // least `min_exposures` exposures; all clear before that.
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
};

}  // namespace blink
