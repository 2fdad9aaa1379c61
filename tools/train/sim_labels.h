// Labelled candidates from simulated nights: blink-sim's survey rendered in
// process, run through the difference pipeline as blinkd runs it (defect
// model learnt from the stream, synthetic fakes injected), each candidate
// labelled by the simulator's truth (bench/truth_match.h).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "realbogus_training.h"
#include "status.h"

namespace blink::train {

struct SimNights {
  std::vector<uint64_t> seeds = {1, 2, 3, 4};  // one night per seed
  int fields = 2, epochs = 4, size = 1024;
  int fakes_per_exposure = 5;  // labelled real, as blinkd's fakes are
  int threads = 2;
};

// Appends the night's labelled candidates to `out`: real for the nearest
// candidate to a transient, variable or moving object and for injected
// fakes; bogus for everything else. `progress` gets one line per exposure.
Status label_sim_nights(const SimNights& nights, std::vector<LabelledCandidate>& out,
                        const std::function<void(const std::string&)>& progress);

}  // namespace blink::train
