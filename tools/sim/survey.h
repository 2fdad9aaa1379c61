// blink::sim — a deterministic survey simulator. It renders the exposures a
// sky survey would send to blinkd (a reference per field/band/ccd, then science
// epochs) with the truth of every injected change and artefact, so tests and
// benchmarks can score the daemon against what was really there.
//
// Everything is a pure function of SimConfig: exposure i renders the same
// pixels whether or not exposures 0..i-1 were rendered, on any thread count.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fits_io.h"
#include "image.h"
#include "status.h"

namespace blink::sim {

struct SimConfig {
  uint64_t seed = 1;
  int fields = 2;
  std::vector<std::string> bands = {"r"};  // any of u g r i z y
  int ccds = 1;
  int epochs = 6;  // science epochs after the references
  int width = 2048, height = 2048;
  double pixel_scale_arcsec = 1.0;
  double exptime_s = 30;           // science; references are kReferenceDepth times longer
  double wcs_error_px = 0.2;       // rms of the radial CRPIX error written to the header
  double transient_density = 1.0;  // multiplies the number of injected transients
  bool compress = false;           // Rice tile compression in to_fits()
  int threads = 2;                 // for the noise; pixels do not depend on it
  bool keep_expected = false;      // fill SimExposure::expected (costs one more image)
};

// Checks ranges and band names; the message names the offending option.
Status validate(const SimConfig& config);

// Truth kinds. The `transient*` kinds, `variable` and `moving` are real
// astrophysical changes; the rest are artefacts a detector should reject.
inline constexpr std::string_view kKindTransient = "transient";  // in a host, off the nucleus
inline constexpr std::string_view kKindTransientNuclear = "transient_nuclear";
inline constexpr std::string_view kKindTransientHostless = "transient_hostless";
inline constexpr std::string_view kKindVariable = "variable";
inline constexpr std::string_view kKindMoving = "moving";
inline constexpr std::string_view kKindCosmicRay = "cosmic_ray";
inline constexpr std::string_view kKindHotPixel = "hot_pixel";
inline constexpr std::string_view kKindWarmColumn = "warm_column";  // x is the column, y its middle
inline constexpr std::string_view kKindSaturatedStar = "saturated_star";
bool is_astrophysical(std::string_view kind);

// One thing that was put into an exposure. x, y are 0-based pixels on this
// exposure; ra, dec the true sky position (degrees). mag is in the exposure's
// band; for artefacts it is the magnitude of the charge they add (MAGZP
// scale), NaN where meaningless. expected_snr is the S/N an optimal PSF fit
// would give on the difference image (see photometry.h); for `variable` that of
// the change from the reference; 0 for artefacts, which are not real changes.
struct TruthRow {
  std::string exposure_id, kind;
  double x = 0, y = 0, ra = 0, dec = 0, mag = 0, expected_snr = 0;
};

// One rendered exposure, owning its pixels. `cards` are the FITS header cards
// (WCS, GAIN, RDNOISE, SATURATE, MAGZP, EXPTIME, MJD-OBS, FILTER, FIELD,
// CCDNUM, SEEING, EXPID, ...).
struct SimExposure {
  std::string exposure_id, kind /* "reference" | "science" */, field, band;
  int ccd = 0;
  double mjd_obs = 0, exptime_s = 0;
  double seeing_fwhm_px = 0;  // at the frame centre
  double magzp = 0;
  int injected = 0;  // transients, variables and moving objects (0 for references)
  Image image;
  Image expected;  // noiseless expectation without cosmic rays or clipping (keep_expected)
  std::vector<FitsCard> cards;
  std::vector<TruthRow> truth;
  FitsCompression compression = FitsCompression::kNone;
};

// Walks the schedule: references first (one per field/band/ccd), then science
// epochs in time order, fields interleaved. One simulator is not thread-safe;
// separate simulators with the same config may render in parallel.
class SurveySimulator {
 public:
  // Throws std::invalid_argument when validate(config) fails (start-up only).
  explicit SurveySimulator(SimConfig config);
  ~SurveySimulator();
  SurveySimulator(const SurveySimulator&) = delete;
  SurveySimulator& operator=(const SurveySimulator&) = delete;

  int total_exposures() const;
  // Renders the next exposure into `out`. False when the schedule is done or
  // rendering failed; status() tells which (ok at the end of the schedule).
  bool next(SimExposure& out);
  Status status() const;
  // Renders exposure `index` of the schedule (0 <= index < total_exposures()).
  Result<SimExposure> render(int index);
  const SimConfig& config() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Frame 1 of the wire protocol (docs/wire-protocol.md): the JSON envelope.
std::string envelope_json(const SimExposure& exposure);
// Frame 2: the FITS bytes, Rice-compressed when the exposure asks for it.
Result<std::vector<uint8_t>> to_fits(const SimExposure& exposure);

// Truth as CSV: exposure_id,kind,x,y,ra,dec,mag,expected_snr; NaN is blank.
void write_truth_header(std::ostream& out);
void write_truth_rows(std::ostream& out, const SimExposure& exposure);

}  // namespace blink::sim
