#include "store_rows.h"

#include <cmath>

namespace blink {

const char* const kCandidateColumns =
    "c.candidate_id, c.idx, c.x, c.y, c.ra, c.dec, c.flux, c.flux_err, c.snr, c.mag, c.mag_err, "
    "c.fwhm, "
    "c.elongation, c.fwhm_ratio, c.negative_fraction, c.sharpness, c.ref_distance, c.ref_mag, "
    "c.npix, c.on_mask, "
    "c.real_bogus, c.route, c.route_reason, c.fake_index, "
    "c.object_id, c.model_version, c.p_supernova, c.p_variable, c.p_moving, c.p_nuclear, "
    "c.p_artefact, c.anomaly, c.host_ra, c.host_dec, c.host_offset, c.host_radius, c.host_mag, "
    "c.ref_point_source, c.motion";
const int kCandidateColumnCount = 39;

RoutedCandidate read_candidate(const Stmt& s, int col) {
  RoutedCandidate r;
  r.candidate_id = s.text(col++);
  r.index = int(s.integer(col++));
  Candidate& c = r.measured;
  for (double* v : {&c.x, &c.y, &c.ra, &c.dec, &c.flux, &c.flux_err, &c.snr, &c.mag, &c.mag_err,
                    &c.fwhm, &c.elongation, &c.fwhm_ratio, &c.negative_fraction, &c.sharpness,
                    &c.ref_distance, &c.ref_mag})
    *v = s.real(col++);
  c.npix = int(s.integer(col++));
  c.on_mask = s.integer(col++) != 0;
  c.real_bogus = s.real(col++);
  r.route = parse_route(s.text(col++)).value_or(Route::kReview);
  r.route_reason = s.text(col++);
  c.fake_index = s.is_null(col) ? -1 : int(s.integer(col));
  ++col;
  r.history.object_id = s.text(col++);
  r.history.new_object = false;  // the stored row does not say; its past is not re-read here
  r.model_version = s.text(col++);
  for (double& p : r.classes.p) {
    p = s.real(col++);
    if (!std::isfinite(p)) p = 0;  // rows from before schema 3
  }
  r.anomaly = s.real(col++);
  if (!std::isfinite(r.anomaly)) r.anomaly = 0;
  for (double* v : {&c.host_ra, &c.host_dec, &c.host_offset, &c.host_radius, &c.host_mag}) {
    *v = s.real(col++);
    if (!std::isfinite(*v)) *v = 0;
  }
  if (c.host_radius <= 0) c.host_mag = 99;
  c.ref_point_source = s.integer(col++) != 0;
  r.history.motion_arcsec_per_hour = s.real(col++);
  return r;
}

const char* const kCandidateRowColumns =
    "c.candidate_id, c.idx, c.x, c.y, c.ra, c.dec, c.flux, c.flux_err, c.snr, c.mag, c.mag_err, "
    "c.fwhm, c.elongation, c.fwhm_ratio, c.negative_fraction, c.sharpness, c.ref_distance, "
    "c.ref_mag, c.npix, c.on_mask, c.real_bogus, c.route, c.route_reason, c.fake_index, "
    "c.object_id, c.model_version, c.p_supernova, c.p_variable, c.p_moving, c.p_nuclear, "
    "c.p_artefact, c.anomaly, c.host_ra, c.host_dec, c.host_offset, c.host_radius, c.host_mag, "
    "c.ref_point_source, c.motion, "
    "e.exposure_id, e.kind, e.field, e.band, e.ccd, e.mjd_obs, e.exptime_s, e.method";
const int kCandidateRowColumnCount = kCandidateColumnCount + 8;

CandidateRow read_candidate_row(const Stmt& q, int col) {
  CandidateRow row;
  row.candidate = read_candidate(q, col);
  col += kCandidateColumnCount;
  row.exposure.exposure_id = q.text(col++);
  row.exposure.kind = parse_exposure_kind(q.text(col++)).value_or(ExposureKind::kScience);
  row.exposure.field = q.text(col++);
  row.exposure.band = q.text(col++);
  row.exposure.ccd = int(q.integer(col++));
  row.exposure.mjd_obs = q.real(col++);
  row.exposure.exptime_s = q.real(col++);
  row.method = q.text(col++);
  return row;
}

}  // namespace blink
