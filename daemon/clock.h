// Wall-clock time as stored and reported: unix seconds with sub-second precision.
#pragma once

#include <chrono>

namespace blink {

inline double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace blink
