// A CandidateSink that keeps what would have been published, numbered as the
// real publisher numbers it. Thread-safe.
#pragma once

#include <mutex>
#include <vector>

#include "publisher.h"

namespace blink::testing {

class MemorySink final : public CandidateSink {
 public:
  Status publish(std::vector<OutgoingMessage> batch) override {
    std::lock_guard lock(mutex_);
    for (auto& m : batch) {
      m.body["seq"] = ++seq_;
      messages_.push_back(std::move(m));
    }
    return Status::ok();
  }
  std::vector<OutgoingMessage> messages() {
    std::lock_guard lock(mutex_);
    return messages_;
  }

 private:
  std::mutex mutex_;
  uint64_t seq_ = 0;
  std::vector<OutgoingMessage> messages_;
};

}  // namespace blink::testing
