// The truth file: one row per injected change or artefact, CSV with a header.
#include <cmath>
#include <cstdio>
#include <ostream>

#include "survey.h"

namespace blink::sim {
namespace {

// Fixed decimals: 1e-3 px, 1e-7 deg (0.4 mas), 1e-3 mag; NaN as an empty field.
void put(std::ostream& out, double v, int decimals) {
  out << ',';
  if (!std::isfinite(v)) return;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  out << buf;
}

}  // namespace

void write_truth_header(std::ostream& out) {
  out << "exposure_id,kind,x,y,ra,dec,mag,expected_snr\n";
}

void write_truth_rows(std::ostream& out, const SimExposure& exposure) {
  for (const TruthRow& r : exposure.truth) {
    out << r.exposure_id << ',' << r.kind;
    put(out, r.x, 3);
    put(out, r.y, 3);
    put(out, r.ra, 7);
    put(out, r.dec, 7);
    put(out, r.mag, 3);
    put(out, r.expected_snr, 2);
    out << '\n';
  }
}

}  // namespace blink::sim
