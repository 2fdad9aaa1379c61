// Which object a new detection belongs to, and that object's past: matches
// by sky position against recent detections of the same field, upper limits
// from the exposures that covered it, and links to detections of the same
// night at other positions that a moving object would explain. Pure: the
// daemon loads the recent detections and exposures from its store.
#pragma once

#include <string>
#include <vector>

#include "history.h"

namespace blink {

struct AssociationOptions {
  double radius_arcsec = 1.0;       // same object within this separation
  double lookback_days = 30.0;      // history kept in packets
  double night_days = 0.5;          // "tonight": exposures within this of the current one
  // Moving objects: fastest motion considered and the least motion that is
  // not just astrometric scatter; how far apart in magnitude two detections
  // of one mover may be; how well a third point must fit a straight line.
  double max_motion_arcsec_per_hour = 600.0;
  double min_motion_arcsec = 3.0;
  double max_mag_difference = 1.0;
  double line_tolerance_arcsec = 2.0;
  double min_link_real_bogus = 0.3;  // only plausible detections are linked into tracklets
};

// An earlier exposure of the same field and detector: its depth says what a
// non-detection there rules out.
struct ExposureCoverage {
  std::string exposure_id, band;
  double mjd = 0;
  double limiting_mag = 0;
};

// A detection of the exposure being processed.
struct NewDetection {
  std::string candidate_id;
  double ra = 0, dec = 0, mag = 99;
};

// One history per detection, in order. `recent`: earlier detections of the
// field (any order; object_id set), `coverage`: earlier exposures of it;
// both may reach further back than the look-back (they are filtered).
// Two detections of this exposure never join one object: each is a new
// object unless an earlier detection matches it.
std::vector<CandidateHistory> associate(const std::vector<NewDetection>& detections, double mjd,
                                        const std::vector<PreviousDetection>& recent,
                                        const std::vector<ExposureCoverage>& coverage,
                                        const AssociationOptions& options = {});

// Great-circle separation in arcseconds.
double separation_arcsec(double ra1, double dec1, double ra2, double dec2);

}  // namespace blink
