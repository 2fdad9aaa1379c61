#include "reference_cache.h"

namespace blink {

void ReferenceCache::put(const ReferenceKey& key, std::shared_ptr<const PreparedReference> prepared,
                         std::string exposure_id, double loaded_unix) {
  std::shared_ptr<const PreparedReference> previous;  // released outside the lock
  std::lock_guard lock(mutex_);
  Entry& e = entries_[key];
  previous = std::move(e.prepared);
  e.prepared = std::move(prepared);
  e.info = {key, std::move(exposure_id), loaded_unix};
}

std::shared_ptr<const PreparedReference> ReferenceCache::get(const ReferenceKey& key) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : it->second.prepared;
}

std::vector<ReferenceInfo> ReferenceCache::list() const {
  std::lock_guard lock(mutex_);
  std::vector<ReferenceInfo> out;
  for (const auto& [key, e] : entries_) out.push_back(e.info);
  return out;
}

size_t ReferenceCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace blink
