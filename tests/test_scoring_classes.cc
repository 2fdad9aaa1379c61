// What a candidate probably is, rule by rule.
#include <catch2/catch.hpp>

#include "classes.h"

using namespace blink;

namespace {

Candidate point_source(double rb = 0.95) {
  Candidate c;
  c.fwhm = 3.0, c.fwhm_ratio = 1.0, c.snr = 30, c.mag = 20, c.flux = 1000, c.real_bogus = rb;
  return c;
}

double sum(const ClassProbabilities& p) {
  double s = 0;
  for (double v : p.p) s += v;
  return s;
}

}  // namespace

TEST_CASE("classes: names round-trip") {
  for (int k = 0; k < kNumClasses; ++k) CHECK(parse_class(class_name(CandidateClass(k))) == CandidateClass(k));
  CHECK_FALSE(parse_class("comet"));
}

TEST_CASE("classes: artefact takes what real/bogus does not give") {
  auto p = classify(point_source(0.1), {});
  CHECK(p.of(CandidateClass::kArtefact) == Approx(0.9));
  CHECK(p.best() == CandidateClass::kArtefact);
  CHECK(sum(p) == Approx(1.0));
}

TEST_CASE("classes: off a galaxy's centre is supernova-like, at its centre nuclear") {
  Candidate c = point_source();
  c.host_radius = 6, c.host_offset = 8;
  auto p = classify(c, {});
  CHECK(p.best() == CandidateClass::kSupernova);
  CHECK(sum(p) == Approx(1.0));
  c.host_offset = 0.2;
  CHECK(classify(c, {}).best() == CandidateClass::kNuclear);
  // Half a pixel off a bright source's centre is measurably off it; for a faint one it is not.
  c.host_offset = 0.6;
  CHECK(classify(c, {}).best() == CandidateClass::kSupernova);
  c.snr = 5;
  CHECK(classify(c, {}).best() == CandidateClass::kNuclear);
}

TEST_CASE("classes: a star under it makes a variable, a fading one even more so") {
  Candidate c = point_source();
  c.ref_point_source = true;
  c.ref_distance = 0.1;
  auto p = classify(c, {});
  CHECK(p.best() == CandidateClass::kVariable);
  // Beside a compact source rather than on it: a new source, not the star varying.
  Candidate beside = c;
  beside.ref_distance = 0.9;
  CHECK(classify(beside, {}).best() == CandidateClass::kSupernova);
  c.flux = -1000;
  CHECK(classify(c, {}).of(CandidateClass::kVariable) > p.of(CandidateClass::kVariable));
}

TEST_CASE("classes: a linked straight-line motion is a moving object; history here rules it out") {
  Candidate c = point_source();
  CandidateHistory h;
  h.tracklet = {{"e1:0", 1, 0, 0, 20}, {"e2:0", 1.01, 0, 0, 20}};
  h.motion_arcsec_per_hour = 40;
  CHECK(classify(c, h).best() == CandidateClass::kMoving);
  CHECK(classify(c, h).of(CandidateClass::kMoving) > 0.8);
  // Also not seen in an earlier, deep enough exposure tonight: moving leads even without a link.
  CandidateHistory missed;
  missed.missed_tonight = 1;
  CHECK(classify(c, missed).best() == CandidateClass::kMoving);
  // Detected at the same place before: a static transient, not a mover.
  CandidateHistory seen;
  seen.detections.push_back({});
  seen.missed_tonight = 1;
  CHECK(classify(c, seen).of(CandidateClass::kMoving) < 0.05);
}
