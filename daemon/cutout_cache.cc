#include "cutout_cache.h"

namespace blink {

std::optional<std::string> CutoutCache::get(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto found = index_.find(key);
  if (found == index_.end()) return std::nullopt;
  entries_.splice(entries_.begin(), entries_, found->second);
  return found->second->png;
}

void CutoutCache::put(const std::string& key, std::string png) {
  std::lock_guard lock(mutex_);
  if (auto found = index_.find(key); found != index_.end()) erase(found->second);
  if (png.size() > max_bytes_) return;
  bytes_ += png.size();
  entries_.push_front({key, std::move(png)});
  index_[key] = entries_.begin();
  while (bytes_ > max_bytes_) erase(std::prev(entries_.end()));
}

size_t CutoutCache::bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

void CutoutCache::erase(std::list<Entry>::iterator it) {
  bytes_ -= it->png.size();
  index_.erase(it->key);
  entries_.erase(it);
}

}  // namespace blink
