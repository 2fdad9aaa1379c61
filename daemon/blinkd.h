// blinkd assembled: the start-up order, the threads (ingest, workers,
// monitor, HTTP, metrics), SIGHUP reload and the draining stop.
//
// Start-up: state folder and database, metrics and HTTP (/readyz says why it
// is not ready yet), start-up recovery and stored references, the PUB and
// ingest sockets, workers; then READY=1. The ingest thread first re-queues
// what the last run left unfinished, then reads. SIGTERM/SIGINT: stop
// reading, finish everything accepted, exit 0 (a second signal leaves the
// queued exposures for the next start). SIGHUP: re-read the file and apply
// what can change live.
#pragma once

#include <optional>
#include <string>

#include "config.h"

namespace blink {

// Runs until stopped by a signal; returns the process exit code. Call
// block_daemon_signals() first, before any thread exists.
int run_daemon(const Config& config, const std::optional<std::string>& config_path);

}  // namespace blink
