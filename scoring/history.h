// An object's past as a candidate sees it: earlier detections at the same sky
// position and the exposures that covered the position without detecting
// anything there (upper limits). The daemon reads it from its store; the
// classifier, the anomaly score and the alert packet use it.
#pragma once

#include <string>
#include <vector>

namespace blink {

struct PreviousDetection {
  std::string object_id, candidate_id, exposure_id, band;
  double mjd = 0;
  double ra = 0, dec = 0;      // degrees
  double flux = 0, flux_err = 0, snr = 0;
  double mag = 99, mag_err = 99;
  double real_bogus = 0;
};

// An exposure of the same field and detector that detected nothing at the
// object's position down to its limiting magnitude.
struct NonDetection {
  std::string exposure_id, band;
  double mjd = 0;
  double limiting_mag = 0;  // 5-sigma point-source limit of its difference image
};

// A detection in an earlier exposure of the same night at another position
// that could be the same moving object.
struct TrackletPoint {
  std::string candidate_id;
  double mjd = 0, ra = 0, dec = 0, mag = 99;
};

struct CandidateHistory {
  // The object this detection belongs to; a new object's id is its first
  // candidate's ("<exposure_id>:<index>").
  std::string object_id;
  bool new_object = true;
  std::vector<PreviousDetection> detections;  // oldest first, within the look-back
  std::vector<NonDetection> non_detections;   // oldest first, within the look-back
  // Earlier exposures of this field tonight deep enough to have seen the
  // object that did not detect it (a static transient would have shown).
  int missed_tonight = 0;
  // Detections tonight at other positions that a moving object explains.
  std::vector<TrackletPoint> tracklet;  // linked detections, oldest first
  double motion_arcsec_per_hour = 0;    // from the tracklet, 0 when none
};

}  // namespace blink
