// Plain 2-D pixel planes. Row-major, x fastest, 0-based pixel centres:
// pixel (x, y) covers [x-0.5, x+0.5) and FITS pixel (1,1) is Blink's (0,0).
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

namespace blink {

// Pixel storage for large planes (4 MiB and more): blocks an exposure frees
// are kept for the next one, which asks for the same sizes, instead of going
// back to the kernel; new blocks ask for 2 MiB pages. A 4096^2 float plane is
// 64 MiB: in fresh 4 KiB pages it costs some 16,000 page faults, a fifth of
// an exposure's time in all. The cache is bounded (plane_cache.cc).
void* plane_block_allocate(size_t bytes);
void plane_block_free(void* p, size_t bytes);
// How much freed memory the cache may keep (default 768 MiB); blocks over
// the new limit are released at once.
void set_plane_cache_limit(size_t bytes);
inline constexpr size_t kPlaneBlockThreshold = size_t(4) << 20;

template <typename T>
struct PlaneAllocator {
  using value_type = T;
  PlaneAllocator() = default;
  template <typename U>
  PlaneAllocator(const PlaneAllocator<U>&) {}
  T* allocate(size_t n) {
    const size_t bytes = n * sizeof(T);
    if (bytes < kPlaneBlockThreshold) return static_cast<T*>(::operator new(bytes));
    return static_cast<T*>(plane_block_allocate(bytes));
  }
  void deallocate(T* p, size_t n) {
    if (n * sizeof(T) < kPlaneBlockThreshold) ::operator delete(p);
    else plane_block_free(p, n * sizeof(T));
  }
  template <typename U>
  bool operator==(const PlaneAllocator<U>&) const { return true; }
};

template <typename T>
using PixelVector = std::vector<T, PlaneAllocator<T>>;

template <typename T>
struct Plane {
  int width = 0;
  int height = 0;
  PixelVector<T> pixels;

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
