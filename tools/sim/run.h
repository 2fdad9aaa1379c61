// The blink-sim run loop: render the schedule, write files and truth, hand
// each exposure to a sink, pace science exposures, report progress. Lives in
// the library so tests can run it against an in-memory sink.
#pragma once

#include <atomic>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "status.h"
#include "survey.h"

namespace blink::sim {

// Where rendered exposures go: the wire (blink-sim's ZeroMQ PUSH socket) or,
// in tests, memory. Used from one thread. send() may block (back-pressure);
// it takes the FITS bytes so an implementation can pass them on without a copy.
class ExposureSink {
 public:
  virtual ~ExposureSink() = default;
  virtual Status send(const std::string& envelope, std::vector<uint8_t>&& fits) = 0;
};

struct RunOptions {
  double interval_s = 0;   // before each science exposure, after the previous send; 0 = no pacing
  std::string truth_path;  // CSV; empty for none
  std::string out_dir;     // also write <out_dir>/<exposure_id>.fits; empty for none
  bool quiet = false;      // no per-exposure lines
  bool render_ahead = false;  // render everything before sending the first (held in memory)
};

struct RunSummary {
  int exposures = 0, references = 0, science = 0;
  int transients = 0, variables = 0, moving = 0;
  size_t truth_rows = 0;
  uint64_t fits_bytes = 0;
  double render_s = 0, send_s = 0, wall_s = 0;
};

// Runs the whole schedule of `sim`. `sink` may be null (files and truth only).
// Returns the first failure, or unavailable("interrupted") once *stop is set
// (checked between exposures). `summary` counts what was done either way.
Status run_survey(SurveySimulator& sim, const RunOptions& options, ExposureSink* sink,
                  std::ostream& log, RunSummary& summary, const std::atomic<bool>* stop = nullptr);

// One line: counts, volume and timings.
std::string format_summary(const RunSummary& summary);

}  // namespace blink::sim
