// The prepared references in memory, one per (field, band, ccd). Workers
// share them read-only (PreparedReference is immutable); replacing one never
// disturbs a worker still using the previous one, which keeps its shared_ptr.
// Thread-safe.
#pragma once

#include <compare>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "pipeline.h"

namespace blink {

// What a reference is the reference of: one field in one band on one detector.
struct ReferenceKey {
  std::string field, band;
  int ccd = 0;
  auto operator<=>(const ReferenceKey&) const = default;
  std::string to_string() const { return field + "/" + band + "/" + std::to_string(ccd); }
};

// What the HTTP status reports about one cached reference.
struct ReferenceInfo {
  ReferenceKey key;
  std::string exposure_id;
  double loaded_unix = 0;
};

// Owns the cached references; hands out shared_ptrs that stay valid after a replacement.
class ReferenceCache {
 public:
  void put(const ReferenceKey& key, std::shared_ptr<const PreparedReference> prepared,
           std::string exposure_id, double loaded_unix);
  // The reference of `key`, or null when there is none.
  std::shared_ptr<const PreparedReference> get(const ReferenceKey& key) const;
  std::vector<ReferenceInfo> list() const;
  size_t size() const;

 private:
  struct Entry {
    std::shared_ptr<const PreparedReference> prepared;
    ReferenceInfo info;
  };
  mutable std::mutex mutex_;
  std::map<ReferenceKey, Entry> entries_;
};

}  // namespace blink
