#include "candidate_scoring.h"

#include "candidate_json.h"
#include "classes.h"

namespace blink {

std::vector<RoutedCandidate> score_candidates(const Envelope& e, const std::vector<Candidate>& candidates,
                                              const ScoringInputs& in, std::string& warning) {
  const AssociationOptions& o = in.association;
  // Tonight's detections reach back a night at least, even with a short look-back.
  const double from = e.mjd_obs - std::max(o.lookback_days, o.night_days);
  std::vector<NewDetection> real;
  std::vector<size_t> real_index;
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (candidates[i].fake_index >= 0) continue;
    real.push_back({candidate_id(e.exposure_id, int(i)), candidates[i].ra, candidates[i].dec, candidates[i].mag});
    real_index.push_back(i);
  }
  std::vector<CandidateHistory> histories;
  if (!real.empty()) {
    auto recent = in.store.detections_in(e.field, e.ccd, from, e.mjd_obs);
    auto coverage = in.store.coverage_of(e.field, e.ccd, from, e.mjd_obs);
    if (recent && coverage) {
      histories = associate(real, e.mjd_obs, *recent, *coverage, o);
    } else {
      warning = "history unavailable: " + (recent ? coverage.status() : recent.status()).message();
    }
  }

  std::vector<RoutedCandidate> out(candidates.size());
  for (size_t i = 0; i < candidates.size(); ++i) {
    RoutedCandidate& r = out[i];
    r.candidate_id = candidate_id(e.exposure_id, int(i));
    r.index = int(i);
    r.measured = candidates[i];
    r.model_version = in.model_version;
  }
  for (size_t k = 0; k < histories.size(); ++k) out[real_index[k]].history = std::move(histories[k]);
  for (size_t i = 0; i < candidates.size(); ++i) {
    RoutedCandidate& r = out[i];
    if (r.history.object_id.empty() && r.measured.fake_index < 0) r.history.object_id = r.candidate_id;
    r.classes = classify(r.measured, r.history);
    r.anomaly_features = anomaly_features(r.measured, r.history);
    r.anomaly = in.anomaly.score(r.anomaly_features);
    RouteDecision d = in.router.route(r.measured.real_bogus, r.anomaly, e.field, e.band);
    r.route = d.route;
    r.route_reason = std::move(d.reason);
    r.anomalous = d.anomalous;
  }
  return out;
}

}  // namespace blink
