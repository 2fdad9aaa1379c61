// The order and timing of a simulated night: a reference for every (field,
// band, ccd), then the science epochs in time order with fields interleaved.
// Exposure ids follow docs/wire-protocol.md: s<seed>-<field>-<band>-<ccd>-<e###|ref>.
#pragma once

#include <string>
#include <vector>

#include "sky_model.h"
#include "survey.h"

namespace blink::sim {

enum class ExposureKind { kReference, kScience };

struct ExposureSpec {
  ExposureKind kind = ExposureKind::kScience;
  int field = 0, band = 0, ccd = 0;
  int epoch = -1;  // 0-based science epoch; -1 for the reference
  double mjd_obs = 0, exptime_s = 0;
  std::string exposure_id;
};

struct Schedule {
  std::vector<ExposureSpec> exposures;
  EpochSpan science;  // when the science epochs happen
};

Schedule make_schedule(const SimConfig& config);
// "F0001" for field 0.
std::string field_name(int field);

}  // namespace blink::sim
