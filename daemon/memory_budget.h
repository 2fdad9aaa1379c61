// The bound on memory held for exposures (pipeline.max_memory_bytes). Each
// accepted exposure reserves an estimate of what it will hold — its FITS
// bytes while queued plus the pipeline's working images, kWorkingBytesPerPixel
// per pixel (measured with bench/overload.sh) — and gives it back when its
// job is destroyed. Ingest asks before accepting: in "pull" mode it waits
// (producers are pushed back), in "sub" mode it drops and counts. One
// exposure is always admitted when nothing is reserved, so an image larger
// than the whole budget is still processed, alone. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>

namespace blink {

// Bytes the difference-imaging pipeline holds per pixel of one exposure at
// its peak (float science, reference, PSF-matched and difference images,
// variance, significance, FFT buffers): bench/overload.sh measured about
// 120 at 1024^2 (peak 288 MiB with 2 in flight and 4 queued); 160 leaves a margin.
inline constexpr int64_t kWorkingBytesPerPixel = 160;

// The pixels a FITS payload declares (ZNAXISn for a tile-compressed image,
// else NAXISn), read from its headers; 0 when none is found.
int64_t fits_declared_pixels(std::span<const uint8_t> fits);

// The reservation an exposure of `payload_bytes` declaring `pixels` needs.
inline int64_t exposure_memory_estimate(int64_t payload_bytes, int64_t pixels) {
  return payload_bytes + pixels * kWorkingBytesPerPixel;
}

class MemoryBudget {
 public:
  // Returns its bytes to the budget on destruction. Movable.
  class Lease {
   public:
    Lease() = default;
    Lease(Lease&& o) noexcept : budget_(o.budget_), bytes_(o.bytes_) { o.budget_ = nullptr; }
    Lease& operator=(Lease&& o) noexcept {
      if (this != &o) {
        reset();
        budget_ = o.budget_;
        bytes_ = o.bytes_;
        o.budget_ = nullptr;
      }
      return *this;
    }
    ~Lease() { reset(); }
    void reset() {
      if (budget_) budget_->release(bytes_);
      budget_ = nullptr;
    }
    explicit operator bool() const { return budget_ != nullptr; }

   private:
    friend class MemoryBudget;
    Lease(MemoryBudget* b, int64_t bytes) : budget_(b), bytes_(bytes) {}
    MemoryBudget* budget_ = nullptr;
    int64_t bytes_ = 0;
  };

  explicit MemoryBudget(int64_t limit) : limit_(limit) {}

  // Reserves `bytes`, waiting while they do not fit; an empty Lease once
  // close() was called.
  Lease reserve(int64_t bytes) {
    std::unique_lock lock(mutex_);
    freed_.wait(lock, [&] { return closed_ || fits(bytes); });
    if (closed_) return {};
    reserved_ += bytes;
    return Lease(this, bytes);
  }
  // Reserves `bytes` if they fit now; an empty Lease otherwise.
  Lease try_reserve(int64_t bytes) {
    std::lock_guard lock(mutex_);
    if (closed_ || !fits(bytes)) return {};
    reserved_ += bytes;
    return Lease(this, bytes);
  }
  // Wakes and fails every waiting reserve() (stopping).
  void close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    freed_.notify_all();
  }
  int64_t reserved() const {
    std::lock_guard lock(mutex_);
    return reserved_;
  }
  int64_t limit() const {
    std::lock_guard lock(mutex_);
    return limit_;
  }
  // A new bound (start-up, once the fixed memory is known).
  void set_limit(int64_t limit) {
    std::lock_guard lock(mutex_);
    limit_ = limit;
    freed_.notify_all();
  }

 private:
  bool fits(int64_t bytes) const { return reserved_ == 0 || reserved_ + bytes <= limit_; }
  void release(int64_t bytes) {
    std::lock_guard lock(mutex_);
    reserved_ -= bytes;
    freed_.notify_all();
  }

  int64_t limit_;
  mutable std::mutex mutex_;
  std::condition_variable freed_;
  int64_t reserved_ = 0;
  bool closed_ = false;
};

}  // namespace blink
