#include "store_rows.h"

namespace blink {

const char* const kCandidateColumns =
    "c.candidate_id, c.idx, c.x, c.y, c.ra, c.dec, c.flux, c.flux_err, c.snr, c.mag, c.mag_err, "
    "c.fwhm, "
    "c.elongation, c.fwhm_ratio, c.negative_fraction, c.sharpness, c.ref_distance, c.ref_mag, "
    "c.npix, c.on_mask, "
    "c.real_bogus, c.route, c.route_reason, c.fake_index";
const int kCandidateColumnCount = 24;

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
  return r;
}

const char* const kCandidateRowColumns =
    "c.candidate_id, c.idx, c.x, c.y, c.ra, c.dec, c.flux, c.flux_err, c.snr, c.mag, c.mag_err, "
    "c.fwhm, c.elongation, c.fwhm_ratio, c.negative_fraction, c.sharpness, c.ref_distance, "
    "c.ref_mag, c.npix, c.on_mask, c.real_bogus, c.route, c.route_reason, c.fake_index, "
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
