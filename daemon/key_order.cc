#include "key_order.h"

namespace blink {

void KeyOrder::reference_queued(const ReferenceKey& key, uint64_t seq) {
  std::lock_guard lock(mutex_);
  in_flight_[key].insert(seq);
}

void KeyOrder::reference_finished(const ReferenceKey& key, uint64_t seq) {
  {
    std::lock_guard lock(mutex_);
    auto it = in_flight_.find(key);
    if (it != in_flight_.end()) {
      it->second.erase(seq);
      if (it->second.empty()) in_flight_.erase(it);
    }
  }
  changed_.notify_all();
}

bool KeyOrder::blocked_locked(const ReferenceKey& key, uint64_t seq) const {
  auto it = in_flight_.find(key);
  return it != in_flight_.end() && !it->second.empty() && *it->second.begin() < seq;
}

bool KeyOrder::wait_turn(const ReferenceKey& key, uint64_t seq) {
  std::unique_lock lock(mutex_);
  if (!blocked_locked(key, seq)) return false;
  changed_.wait(lock, [&] { return !blocked_locked(key, seq); });
  return true;
}

}  // namespace blink
