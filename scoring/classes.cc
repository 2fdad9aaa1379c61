#include "classes.h"

#include <algorithm>
#include <cmath>

namespace blink {

std::string_view class_name(CandidateClass c) {
  switch (c) {
    case CandidateClass::kSupernova:
      return "supernova";
    case CandidateClass::kVariable:
      return "variable";
    case CandidateClass::kMoving:
      return "moving";
    case CandidateClass::kNuclear:
      return "nuclear";
    case CandidateClass::kArtefact:
      return "artefact";
  }
  return "artefact";
}

std::optional<CandidateClass> parse_class(std::string_view name) {
  for (int i = 0; i < kNumClasses; ++i)
    if (class_name(CandidateClass(i)) == name) return CandidateClass(i);
  return std::nullopt;
}

CandidateClass ClassProbabilities::best() const {
  return CandidateClass(std::max_element(p.begin(), p.end()) - p.begin());
}

}  // namespace blink

namespace blink {

namespace {
constexpr double kCentreFloorPx = 0.35;
}  // namespace

ClassProbabilities classify(const Candidate& c, const CandidateHistory& h) {
  const double psf_fwhm = c.fwhm_ratio > 0 && c.fwhm > 0 ? c.fwhm / c.fwhm_ratio : 3.0;
  // "At the centre" of a galaxy or on a star: within the position's own
  // uncertainty (3 sigma; sigma ~ PSF width / S/N) plus a floor for the
  // astrometric residual between the images.
  const double centre = std::hypot(kCentreFloorPx, 3.0 * psf_fwhm / (2.355 * std::max(c.snr, 3.0)));
  const bool has_host = c.host_radius > 0;
  const bool at_nucleus = has_host && c.host_offset <= centre;
  const bool on_star = c.ref_point_source && c.ref_distance <= centre;
  // Detections at this position more than half a day before the newest.
  int earlier_nights = 0;
  if (!h.detections.empty()) {
    const double newest = h.detections.back().mjd;
    for (const PreviousDetection& p : h.detections) earlier_nights += newest - p.mjd >= 0.5;
  }

  std::array<double, kNumClasses> w{};
  auto& sn = w[size_t(CandidateClass::kSupernova)];
  auto& var = w[size_t(CandidateClass::kVariable)];
  auto& mov = w[size_t(CandidateClass::kMoving)];
  auto& nuc = w[size_t(CandidateClass::kNuclear)];
  sn = has_host ? (at_nucleus ? 0.5 : 4.0) : 1.5;  // hostless transients exist, but fewer
  var = on_star ? 12.0 : 0.3;
  if (c.flux < 0) var *= 20;  // fainter than in the reference: it was there before
  nuc = at_nucleus ? 5.0 : 0.05;
  mov = 1.0;
  if (!h.tracklet.empty()) {
    mov *= h.tracklet.size() >= 2 ? 60.0 : 8.0;
  } else if (h.missed_tonight > 0) {
    mov *= 4.0;  // new since an earlier, deep enough exposure tonight
  }
  if (h.detections.size() > 0) mov *= 0.02;  // seen here before: not moving
  if (on_star) mov *= 0.2;
  if (earlier_nights >= 2) {
    // Back at the same place night after night: variable or a slow transient.
    var *= 2.0;
  }
  if (c.elongation > 2.0 && !c.on_mask) mov *= 2.0;  // trailed by its motion

  const double rb = std::clamp(std::isfinite(c.real_bogus) ? c.real_bogus : 0.5, 0.0, 1.0);
  double sum = 0;
  for (int k = 0; k < kNumClasses; ++k)
    if (CandidateClass(k) != CandidateClass::kArtefact) sum += w[size_t(k)];
  ClassProbabilities out;
  for (int k = 0; k < kNumClasses; ++k)
    out.p[size_t(k)] = CandidateClass(k) == CandidateClass::kArtefact ? 1 - rb : rb * w[size_t(k)] / sum;
  return out;
}

}  // namespace blink
