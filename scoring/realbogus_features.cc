#include "realbogus_features.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace blink {
namespace {

// Beyond this many pixels a reference source tells nothing about a candidate;
// the detectors' "none found" (1e9) is clipped to it.
constexpr double kFarPixels = 1000;
// A candidate with no host is this many host radii from one.
constexpr double kNoHostOffset = 100;

constexpr float kMissing = std::numeric_limits<float>::quiet_NaN();

float feature(double v) {
  return std::isfinite(v) ? float(v) : std::numeric_limits<float>::quiet_NaN();
}

}  // namespace

const std::vector<std::string>& real_bogus_feature_names() {
  static const std::vector<std::string> names = {
      "snr",               // flux / flux_err on the difference image
      "mag",               // AB-like magnitude of the difference flux
      "mag_err",
      "fwhm",              // pixels, second moments on the difference image
      "fwhm_ratio",        // fwhm / the difference image's PSF fwhm
      "elongation",        // major / minor axis
      "negative_fraction", // share of significantly negative pixels nearby (dipoles)
      "sharpness",         // peak / PSF-expected peak (cosmic rays >> 1)
      "npix",              // connected pixels above threshold
      "on_mask",           // touches masked pixels (0/1)
      "ref_distance",      // pixels to the nearest reference source, clipped
      "ref_mag",           // its magnitude (99: none)
      "ref_point_source",  // that source is star-like (0/1)
      "mag_minus_ref_mag", // brightening of a catalogued source (0 when none)
      "host_found",        // an extended host was found (0/1)
      "host_offset",       // pixels from the host's centre (0: no host)
      "host_radius",       // the host's HWHM, pixels (0: no host)
      "host_offset_norm",  // offset in host radii (100: no host)
      "host_mag",          // (99: no host)
  };
  return names;
}

void append_real_bogus_features(const Candidate& c, std::vector<float>& rows) {
  const bool has_ref = c.ref_mag < 90 && c.ref_distance < kFarPixels;
  const bool has_host = c.host_radius > 0;
  // A NaN host radius: the host search's result is unknown (a database
  // from before host columns), not "no host".
  const bool host_unknown = std::isnan(c.host_radius);
  const float values[] = {
      feature(c.snr),
      feature(c.mag),
      feature(c.mag_err),
      feature(c.fwhm),
      feature(c.fwhm_ratio),
      feature(c.elongation),
      feature(c.negative_fraction),
      feature(c.sharpness),
      feature(c.npix),
      c.on_mask ? 1.0f : 0.0f,
      feature(std::min(c.ref_distance, kFarPixels)),
      feature(c.ref_mag),
      host_unknown ? kMissing : c.ref_point_source ? 1.0f : 0.0f,
      feature(has_ref ? c.mag - c.ref_mag : 0.0),
      host_unknown ? kMissing : has_host ? 1.0f : 0.0f,
      host_unknown ? kMissing : feature(has_host ? c.host_offset : 0.0),
      host_unknown ? kMissing : feature(has_host ? c.host_radius : 0.0),
      host_unknown ? kMissing : feature(has_host ? c.host_offset / c.host_radius : kNoHostOffset),
      host_unknown ? kMissing : feature(has_host ? c.host_mag : 99.0),
  };
  static_assert(std::size(values) == 19);
  rows.insert(rows.end(), std::begin(values), std::end(values));
}

std::vector<float> real_bogus_features(const Candidate& c) {
  std::vector<float> row;
  row.reserve(real_bogus_feature_names().size());
  append_real_bogus_features(c, row);
  return row;
}

}  // namespace blink
