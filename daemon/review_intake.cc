#include "review_intake.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "swap.h"

namespace blink {
namespace {

// Far sharper than the PSF allows: a cosmic ray or a hot pixel.
constexpr double kSurelySharp = 3.0;
// Most of the footprint negative: a star imperfectly subtracted (a dipole).
constexpr double kSurelyDipole = 0.5;

std::vector<float> stamp(const Image& image, double x, double y, int size) {
  Image s = cutout(image, x, y, size);
  return {s.pixels.begin(), s.pixels.end()};
}

}  // namespace

std::string artefact_signature(const Candidate& c) {
  if (c.on_mask)
    return "It touches pixels Blink had masked: a saturated star, a bad column, a cosmic ray or "
           "the edge of the image.";
  if (c.sharpness > kSurelySharp)
    return "It is much sharper than a star can be in this image: a cosmic ray or a hot pixel, "
           "not light from the sky.";
  if (c.negative_fraction > kSurelyDipole)
    return "It is a bright-and-dark pair: a star that moved or changed shape between the images "
           "and was not perfectly subtracted.";
  return "";
}

void choose_subjects(std::vector<RoutedCandidate>& candidates, int artefacts_per_exposure) {
  std::vector<RoutedCandidate*> artefacts;
  for (RoutedCandidate& r : candidates) {
    const Candidate& c = r.measured;
    if (c.fake_index >= 0) {
      char note[256];
      std::snprintf(note, sizeof note,
                    "This was an artificial star (magnitude %.1f) that Blink added to the image to "
                    "check it finds new sources: it looks exactly as a real transient would.",
                    c.mag);
      r.subject = SubjectSeed{c.real_bogus, true, "real", note};
    } else if (r.route == Route::kReview) {
      r.subject = SubjectSeed{review::machine_prior(c.real_bogus), false, "", "", r.anomalous};
    } else if (r.route == Route::kRejected && !artefact_signature(c).empty()) {
      artefacts.push_back(&r);
    }
  }
  std::sort(artefacts.begin(), artefacts.end(), [](const RoutedCandidate* a, const RoutedCandidate* b) {
    return a->measured.real_bogus < b->measured.real_bogus;
  });
  const size_t keep = size_t(std::max(0, artefacts_per_exposure));
  for (size_t i = 0; i < artefacts.size() && i < keep; ++i) {
    RoutedCandidate& r = *artefacts[i];
    r.subject = SubjectSeed{r.measured.real_bogus, true, "bogus",
                            "This was an artefact. " + artefact_signature(r.measured)};
  }
}

std::shared_ptr<const CutoutTriplet> make_cutouts(const DifferenceProducts& p, double x, double y,
                                                  int size) {
  auto t = std::make_shared<CutoutTriplet>();
  t->size = size;
  t->science = stamp(p.science, x, y, size);
  t->reference = stamp(p.reference, x, y, size);
  t->difference = stamp(p.difference.diff, x, y, size);
  return t;
}

}  // namespace blink
