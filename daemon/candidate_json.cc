#include "candidate_json.h"

#include <cmath>

#include "realbogus.h"

namespace blink {
namespace {

nlohmann::ordered_json number(double v) {
  return std::isfinite(v) ? nlohmann::ordered_json(v) : nullptr;
}

}  // namespace

nlohmann::ordered_json object_json(const CandidateHistory& h) {
  nlohmann::ordered_json o;
  o["object_id"] = h.object_id.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(h.object_id);
  o["new"] = h.new_object;
  auto detections = nlohmann::ordered_json::array();
  for (const PreviousDetection& p : h.detections)
    detections.push_back({{"candidate_id", p.candidate_id}, {"exposure_id", p.exposure_id},
                          {"band", p.band}, {"mjd_obs", number(p.mjd)}, {"ra", number(p.ra)},
                          {"dec", number(p.dec)}, {"flux", number(p.flux)},
                          {"flux_err", number(p.flux_err)}, {"mag", number(p.mag)},
                          {"mag_err", number(p.mag_err)}, {"real_bogus", number(p.real_bogus)}});
  o["previous_detections"] = std::move(detections);
  auto limits = nlohmann::ordered_json::array();
  for (const NonDetection& n : h.non_detections)
    limits.push_back({{"exposure_id", n.exposure_id}, {"band", n.band}, {"mjd_obs", number(n.mjd)},
                      {"limiting_mag", n.limiting_mag > 0 ? number(n.limiting_mag) : nullptr}});
  o["non_detections"] = std::move(limits);
  o["missed_tonight"] = h.missed_tonight;
  auto tracklet = nlohmann::ordered_json::array();
  for (const TrackletPoint& t : h.tracklet)
    tracklet.push_back({{"candidate_id", t.candidate_id}, {"mjd_obs", number(t.mjd)}, {"ra", number(t.ra)},
                        {"dec", number(t.dec)}, {"mag", number(t.mag)}});
  o["tracklet"] = std::move(tracklet);
  o["motion_arcsec_per_hour"] = h.tracklet.empty() ? nlohmann::ordered_json(nullptr) : number(h.motion_arcsec_per_hour);
  return o;
}

std::string candidate_topic(Route route) { return "candidate." + std::string(route_name(route)); }

std::string candidate_id(const std::string& exposure_id, int index) {
  return exposure_id + ":" + std::to_string(index);
}

nlohmann::ordered_json candidate_json(const Envelope& e, const std::string& method,
                                      const RoutedCandidate& r) {
  const Candidate& c = r.measured;
  nlohmann::ordered_json j;
  j["schema"] = kCandidateSchema;
  j["candidate_id"] = r.candidate_id;
  j["exposure_id"] = e.exposure_id;
  j["field"] = e.field;
  j["band"] = e.band;
  j["ccd"] = e.ccd;
  j["mjd_obs"] = number(e.mjd_obs);
  j["x"] = number(c.x);
  j["y"] = number(c.y);
  j["ra"] = number(c.ra);
  j["dec"] = number(c.dec);
  j["flux"] = number(c.flux);
  j["flux_err"] = number(c.flux_err);
  j["snr"] = number(c.snr);
  j["mag"] = number(c.mag);
  j["mag_err"] = number(c.mag_err);
  j["fwhm"] = number(c.fwhm);
  j["elongation"] = number(c.elongation);
  j["real_bogus"] = number(c.real_bogus);
  j["model_version"] = r.model_version.empty() ? kHeuristicRealBogusVersion : r.model_version;
  j["route"] = route_name(r.route);
  j["route_reason"] = r.route_reason;
  j["method"] = method;
  j["fwhm_ratio"] = number(c.fwhm_ratio);
  j["negative_fraction"] = number(c.negative_fraction);
  j["sharpness"] = number(c.sharpness);
  j["ref_distance"] = number(c.ref_distance);
  j["ref_mag"] = number(c.ref_mag);
  j["npix"] = c.npix;
  j["on_mask"] = c.on_mask;
  j["class"] = class_name(r.classes.best());
  nlohmann::ordered_json classes;
  for (int k = 0; k < kNumClasses; ++k) classes[std::string(class_name(CandidateClass(k)))] = number(r.classes.p[size_t(k)]);
  j["classes"] = std::move(classes);
  j["anomaly"] = number(r.anomaly);
  if (c.host_radius > 0) {
    j["host"] = {{"ra", number(c.host_ra)},         {"dec", number(c.host_dec)},
                 {"x", number(c.host_x)},           {"y", number(c.host_y)},
                 {"offset_px", number(c.host_offset)}, {"radius_px", number(c.host_radius)},
                 {"separation_radii", number(c.host_offset / c.host_radius)},
                 {"mag", number(c.host_mag)}};
  } else {
    j["host"] = nullptr;
  }
  j["ref_point_source"] = c.ref_point_source;
  j["object"] = object_json(r.history);
  return j;
}

}  // namespace blink
