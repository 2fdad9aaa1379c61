#include "association.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace blink {
namespace {

constexpr double kDeg = M_PI / 180.0;

// Offsets on the tangent plane at (ra0, dec0), arcseconds (east, north).
struct Offset {
  double x, y;
};
Offset offset_arcsec(double ra0, double dec0, double ra, double dec) {
  double dra = std::remainder(ra - ra0, 360.0);
  return {dra * std::cos(dec0 * kDeg) * 3600.0, (dec - dec0) * 3600.0};
}

// The best tracklet ending at `d`: a straight-line, constant-speed pair of
// earlier points if one exists, else the single most plausible partner.
void link_tracklet(const NewDetection& d, double mjd, const std::vector<const PreviousDetection*>& orphans,
                   const AssociationOptions& o, CandidateHistory& h) {
  auto plausible = [&](const PreviousDetection& p) {
    const double hours = (mjd - p.mjd) * 24.0;
    if (hours <= 0) return false;
    const double sep = separation_arcsec(p.ra, p.dec, d.ra, d.dec);
    return sep >= o.min_motion_arcsec && sep / hours <= o.max_motion_arcsec_per_hour &&
           std::abs(p.mag - d.mag) <= o.max_mag_difference;
  };
  std::vector<const PreviousDetection*> partners;
  for (const PreviousDetection* p : orphans)
    if (plausible(*p)) partners.push_back(p);
  if (partners.empty()) return;

  // Three points: the motion from p2 to d, run back to p1's time, lands on p1.
  double best_miss = o.line_tolerance_arcsec;
  const PreviousDetection *b1 = nullptr, *b2 = nullptr;
  for (const PreviousDetection* p2 : partners) {
    const double t2 = (mjd - p2->mjd) * 24.0;
    Offset v = offset_arcsec(p2->ra, p2->dec, d.ra, d.dec);  // arcsec over t2 hours
    for (const PreviousDetection* p1 : partners) {
      if (!(p1->mjd < p2->mjd)) continue;
      const double t1 = (mjd - p1->mjd) * 24.0;
      Offset at = offset_arcsec(p2->ra, p2->dec, p1->ra, p1->dec);
      const double px = -v.x * (t1 - t2) / t2, py = -v.y * (t1 - t2) / t2;
      const double miss = std::hypot(at.x - px, at.y - py);
      if (miss < best_miss) best_miss = miss, b1 = p1, b2 = p2;
    }
  }
  const PreviousDetection* last = b2;
  if (!b1) {
    // One partner: the nearest in magnitude, then in time.
    last = *std::min_element(partners.begin(), partners.end(), [&](auto* a, auto* b) {
      return std::make_pair(std::abs(a->mag - d.mag), -a->mjd) < std::make_pair(std::abs(b->mag - d.mag), -b->mjd);
    });
  }
  if (b1) h.tracklet.push_back({b1->candidate_id, b1->mjd, b1->ra, b1->dec, b1->mag});
  h.tracklet.push_back({last->candidate_id, last->mjd, last->ra, last->dec, last->mag});
  const TrackletPoint& first = h.tracklet.front();
  h.motion_arcsec_per_hour =
      separation_arcsec(first.ra, first.dec, d.ra, d.dec) / ((mjd - first.mjd) * 24.0);
}

}  // namespace

double separation_arcsec(double ra1, double dec1, double ra2, double dec2) {
  // Haversine: accurate at the sub-arcsecond separations that matter here.
  const double sd = std::sin((dec2 - dec1) * kDeg / 2), sr = std::sin((ra2 - ra1) * kDeg / 2);
  const double a = sd * sd + std::cos(dec1 * kDeg) * std::cos(dec2 * kDeg) * sr * sr;
  return 2.0 * std::asin(std::min(1.0, std::sqrt(a))) / kDeg * 3600.0;
}

std::vector<CandidateHistory> associate(const std::vector<NewDetection>& detections, double mjd,
                                        const std::vector<PreviousDetection>& recent_in,
                                        const std::vector<ExposureCoverage>& coverage_in,
                                        const AssociationOptions& o) {
  const double from = mjd - o.lookback_days, tonight = mjd - o.night_days;
  std::vector<const PreviousDetection*> recent;
  for (const PreviousDetection& p : recent_in)
    if (p.mjd >= from && p.mjd < mjd) recent.push_back(&p);
  std::sort(recent.begin(), recent.end(), [](auto* a, auto* b) { return a->mjd < b->mjd; });
  std::vector<const ExposureCoverage*> coverage;
  for (const ExposureCoverage& c : coverage_in)
    if (c.mjd >= from && c.mjd < mjd) coverage.push_back(&c);
  std::sort(coverage.begin(), coverage.end(), [](auto* a, auto* b) { return a->mjd < b->mjd; });

  // Objects seen once, tonight, and plausible: the ends of possible tracklets.
  std::map<std::string, int> detections_of;
  for (const PreviousDetection* p : recent) detections_of[p->object_id] += 1;
  std::vector<const PreviousDetection*> orphans;
  for (const PreviousDetection* p : recent)
    if (p->mjd >= tonight && detections_of[p->object_id] == 1 && p->real_bogus >= o.min_link_real_bogus)
      orphans.push_back(p);

  std::vector<CandidateHistory> out(detections.size());
  for (size_t i = 0; i < detections.size(); ++i) {
    const NewDetection& d = detections[i];
    CandidateHistory& h = out[i];
    const double dec_reach = o.radius_arcsec / 3600.0;
    double best = o.radius_arcsec;
    for (const PreviousDetection* p : recent) {
      if (std::abs(p->dec - d.dec) > dec_reach) continue;
      double sep = separation_arcsec(p->ra, p->dec, d.ra, d.dec);
      if (sep <= best) best = sep, h.object_id = p->object_id;
    }
    h.new_object = h.object_id.empty();
    if (h.new_object) h.object_id = d.candidate_id;

    std::set<std::string> detected_in;
    for (const PreviousDetection* p : recent)
      if (p->object_id == h.object_id) h.detections.push_back(*p), detected_in.insert(p->exposure_id);
    for (const ExposureCoverage* c : coverage) {
      if (detected_in.count(c->exposure_id)) continue;
      h.non_detections.push_back({c->exposure_id, c->band, c->mjd, c->limiting_mag});
      // Deep enough to have seen it: a static source this bright would have shown.
      if (c->mjd >= tonight && c->limiting_mag > 0 && c->limiting_mag >= d.mag) h.missed_tonight += 1;
    }
    bool seen_tonight = false;
    for (const PreviousDetection& p : h.detections) seen_tonight |= p.mjd >= tonight;
    if (!seen_tonight) link_tracklet(d, mjd, orphans, o, h);
  }
  return out;
}

}  // namespace blink
