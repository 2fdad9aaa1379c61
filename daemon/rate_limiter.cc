#include "rate_limiter.h"

#include <algorithm>

namespace blink {

bool RateLimiter::allow(const std::string& key, double now, double* retry_after) {
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_) drop_full_buckets(now);
    if (buckets_.size() >= max_keys_) buckets_.clear();  // under a flood of new keys
    it = buckets_.emplace(key, Bucket{burst_, now}).first;
  }
  Bucket& b = it->second;
  b.tokens = std::min(burst_, b.tokens + std::max(0.0, now - b.updated) * rate_);
  b.updated = now;
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return true;
  }
  if (retry_after) *retry_after = rate_ > 0 ? (1 - b.tokens) / rate_ : 60;
  return false;
}

void RateLimiter::drop_full_buckets(double now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    if (it->second.tokens + (now - it->second.updated) * rate_ >= burst_)
      it = buckets_.erase(it);
    else
      ++it;
  }
}

}  // namespace blink
