// What of a processed exposure enters the volunteers' queue, and with what
// truth: candidates the router sent to review (the machine is unsure);
// recovered injected fakes (training subjects, truth "real"); and a few
// archived candidates with an unmistakable artefact signature (training
// subjects, truth "bogus"). Also cuts the stamps people and brokers see.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "products.h"
#include "store.h"

namespace blink {

inline constexpr int kCutoutSize = 63;  // pixels, as ZTF's alert stamps

// Why a candidate is surely an artefact, in words for a volunteer; empty
// when it has no unmistakable artefact signature.
std::string artefact_signature(const Candidate& c);

// Sets `subject` on the candidates that enter the queue (see above), keeping
// at most `artefacts_per_exposure` artefacts (the most typical: lowest score).
void choose_subjects(std::vector<RoutedCandidate>& candidates, int artefacts_per_exposure);

// The science / reference / difference stamps around (x, y).
std::shared_ptr<const CutoutTriplet> make_cutouts(const DifferenceProducts& products, double x,
                                                  double y, int size = kCutoutSize);

}  // namespace blink
