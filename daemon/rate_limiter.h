// Token-bucket rate limits keyed by a string (a client address, a volunteer
// id): protection for the service against floods and scripts, not a
// judgement of anyone; a refused request gets 429 and may simply be retried.
// Memory is bounded: at most `max_keys` buckets; when full, idle ones are
// dropped (a dropped bucket is a full one, so nobody is punished by it).
// Thread-safe.
#pragma once

#include <mutex>
#include <string>
#include <unordered_map>

namespace blink {

class RateLimiter {
 public:
  // `per_second` tokens refill a bucket of `burst`; each request takes one.
  RateLimiter(double per_second, double burst, size_t max_keys = 100000)
      : rate_(per_second), burst_(burst), max_keys_(max_keys) {}

  // True when `key` may make a request at time `now` (seconds, monotonic or unix).
  // Otherwise false, with the seconds until it may in `retry_after`.
  bool allow(const std::string& key, double now, double* retry_after = nullptr);

 private:
  struct Bucket {
    double tokens = 0;
    double updated = 0;
  };
  void drop_full_buckets(double now);

  const double rate_, burst_;
  const size_t max_keys_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace blink
