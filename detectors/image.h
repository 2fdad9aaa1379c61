// Plain 2-D pixel planes. Row-major, x fastest, 0-based pixel centres:
// pixel (x, y) covers [x-0.5, x+0.5) and FITS pixel (1,1) is Blink's (0,0).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace blink {

template <typename T>
struct Plane {
  int width = 0;
  int height = 0;
  std::vector<T> pixels;

  Plane() = default;
  Plane(int w, int h, T fill = T{}) : width(w), height(h), pixels(size_t(w) * size_t(h), fill) {}

  size_t size() const { return pixels.size(); }
  bool empty() const { return pixels.empty(); }
  bool contains(int x, int y) const { return x >= 0 && y >= 0 && x < width && y < height; }
  T& at(int x, int y) { return pixels[size_t(y) * size_t(width) + size_t(x)]; }
  const T& at(int x, int y) const { return pixels[size_t(y) * size_t(width) + size_t(x)]; }
  T* row(int y) { return pixels.data() + size_t(y) * size_t(width); }
  const T* row(int y) const { return pixels.data() + size_t(y) * size_t(width); }
};

using Image = Plane<float>;

// Why a pixel must not be trusted. Bits combine; 0 means good.
enum MaskBit : uint8_t {
  kMaskSaturated = 1 << 0,  // at or above SATURATE, or a bleed trail from it
  kMaskEdge = 1 << 1,       // no overlap with the other image, or within a kernel of the border
  kMaskCosmicRay = 1 << 2,  // sharper than the PSF allows
  kMaskBadPixel = 1 << 3,   // hot/warm/dead detector pixel
  kMaskNoData = 1 << 4,     // NaN or infinite in the input
  // On a difference image: the aligned reference here was filled in over a
  // cosmic ray or bad pixel, not measured, so a peak here is no evidence of change.
  kMaskReferenceFilled = 1 << 5,
  // Bits 6 and 7 are scratch for flag_sharp_sources (cosmic.cc) while it runs.
};
using Mask = Plane<uint8_t>;

}  // namespace blink
