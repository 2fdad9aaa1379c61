#include "key_order.h"

namespace blink {

void KeyOrder::erase(Waiting& w, const ReferenceKey& key, uint64_t seq) {
  auto it = w.find(key);
  if (it == w.end()) return;
  it->second.erase(seq);
  if (it->second.empty()) w.erase(it);
}

bool KeyOrder::blocked(const Waiting& w, const ReferenceKey& key, uint64_t seq) {
  auto it = w.find(key);
  return it != w.end() && !it->second.empty() && *it->second.begin() < seq;
}

void KeyOrder::reference_queued(const ReferenceKey& key, uint64_t seq) {
  std::lock_guard lock(mutex_);
  in_flight_[key].insert(seq);
}

void KeyOrder::reference_finished(const ReferenceKey& key, uint64_t seq) {
  {
    std::lock_guard lock(mutex_);
    erase(in_flight_, key, seq);
  }
  changed_.notify_all();
}

bool KeyOrder::wait_turn(const ReferenceKey& key, uint64_t seq) {
  std::unique_lock lock(mutex_);
  if (!blocked(in_flight_, key, seq)) return false;
  changed_.wait(lock, [&] { return !blocked(in_flight_, key, seq); });
  return true;
}

void KeyOrder::science_queued(const ReferenceKey& key, uint64_t seq) {
  std::lock_guard lock(mutex_);
  science_[field_key(key)].insert(seq);
}

void KeyOrder::science_finished(const ReferenceKey& key, uint64_t seq) {
  {
    std::lock_guard lock(mutex_);
    erase(science_, field_key(key), seq);
  }
  changed_.notify_all();
}

bool KeyOrder::wait_science_turn(const ReferenceKey& key, uint64_t seq) {
  const ReferenceKey k = field_key(key);
  std::unique_lock lock(mutex_);
  if (!blocked(science_, k, seq)) return false;
  changed_.wait(lock, [&] { return !blocked(science_, k, seq); });
  return true;
}

}  // namespace blink
