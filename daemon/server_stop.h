// Stopping a civetweb server promptly. civetweb's listening thread polls its
// sockets with a 2-second timeout and mg_stop() waits for it; a connection to
// the listening port wakes the poll at once. Used for the HTTP API and the
// metrics endpoint (prometheus-cpp's Exposer runs on civetweb too).
#pragma once

#include <functional>
#include <string>

namespace blink {

// Runs `stop` (which blocks until the server is down) while connecting to
// `host`:`port` every few milliseconds to wake the listening thread. A
// wildcard host (0.0.0.0, ::, empty) is reached through loopback.
void stop_civetweb_promptly(const std::function<void()>& stop, const std::string& host, int port);

}  // namespace blink
