// Turns an exposure away the same way wherever that happens (ingest or a
// worker): a log line naming the exposure and the problem, a
// blink_exposures_rejected_total{reason} increment, a copy under quarantine/,
// and, when asked, the `rejected` state in the store. Thread-safe.
#pragma once

#include <span>
#include <string_view>

#include "envelope.h"
#include "metrics.h"
#include "rejection.h"
#include "spool.h"
#include "store.h"

namespace blink {

// The bytes kept of an oversized or duplicate payload.
inline constexpr size_t kQuarantinedPrefixBytes = 1 << 20;

// What is known of the rejected input; views into buffers the caller keeps alive
// for the duration of reject().
struct RejectedInput {
  const Envelope* envelope = nullptr;  // null when the envelope was not valid
  std::string_view raw_envelope;       // the first frame as received (may be anything)
  std::span<const uint8_t> payload;    // what to quarantine of the FITS frame
  size_t payload_bytes = 0;            // its full size, if only a prefix is kept
  double received_unix = 0;
  // Write the `rejected` state to the store: only when the exposure's row is
  // this message's own (a new id, a retry of a rejected one, or a worker's job),
  // never over the row of an earlier message with the same id.
  bool record = false;
};

class Rejecter {
 public:
  Rejecter(Store& store, Spool& spool, Metrics& metrics)
      : store_(store), spool_(spool), metrics_(metrics) {}
  void reject(const Rejection& rejection, const RejectedInput& input);

 private:
  Store& store_;
  Spool& spool_;
  Metrics& metrics_;
};

}  // namespace blink
