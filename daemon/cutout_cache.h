// Rendered cutout PNGs, so that a candidate's stamps are drawn once rather
// than once for every volunteer shown it: a stamp never changes once stored,
// and drawing one (stretch, upscale, PNG) costs more than the rest of a
// request. The least recently used go first when the byte budget is full.
// Thread-safe.
#pragma once

#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace blink {

class CutoutCache {
 public:
  explicit CutoutCache(size_t max_bytes) : max_bytes_(max_bytes) {}

  // The PNG stored under `key`, now the most recently used; nullopt if none.
  std::optional<std::string> get(const std::string& key);
  // Keeps `png` under `key` (replacing any), then drops the least recently
  // used until within budget. A PNG larger than the whole budget is not kept.
  void put(const std::string& key, std::string png);

  size_t bytes() const;

 private:
  struct Entry {
    std::string key, png;
  };
  void erase(std::list<Entry>::iterator it);

  const size_t max_bytes_;
  mutable std::mutex mutex_;
  std::list<Entry> entries_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  size_t bytes_ = 0;
};

}  // namespace blink
