// Measures wall-clock time per pipeline stage.
#pragma once

#include <chrono>
#include <string>

#include "pipeline.h"

namespace blink {

class StageTimer {
 public:
  explicit StageTimer(StageTimings& out) : out_(out), start_(std::chrono::steady_clock::now()) {}
  // Records the time since the previous mark (or construction) under `stage`.
  void mark(const std::string& stage) {
    auto now = std::chrono::steady_clock::now();
    out_.emplace_back(stage, std::chrono::duration<double>(now - start_).count());
    start_ = now;
  }

 private:
  StageTimings& out_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace blink
