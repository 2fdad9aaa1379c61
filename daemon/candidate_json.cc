#include "candidate_json.h"

#include <cmath>

#include "realbogus.h"

namespace blink {
namespace {

nlohmann::ordered_json number(double v) {
  return std::isfinite(v) ? nlohmann::ordered_json(v) : nullptr;
}

}  // namespace

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
  j["model_version"] = kHeuristicRealBogusVersion;
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
  return j;
}

}  // namespace blink
