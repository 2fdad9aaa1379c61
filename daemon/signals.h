// Signals reach blinkd through one thread that waits for them (sigwait), so
// no handler ever runs inside library code. block_daemon_signals() must run
// first in main(), before any thread starts, so every thread inherits the mask.
#pragma once

#include <chrono>

namespace blink {

// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread (and the threads
// it starts later); ignores SIGPIPE.
void block_daemon_signals();

// Waits up to `timeout` for one of those signals; returns it, or 0.
int wait_for_signal(std::chrono::milliseconds timeout);

}  // namespace blink
