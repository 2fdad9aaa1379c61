#include "schedule.h"

#include <algorithm>
#include <cstdio>

#include "instrument.h"

namespace blink::sim {
namespace {

constexpr double kReferenceMjd = 59970.0;  // a month before the science night
constexpr double kScienceMjd = 60000.0;
constexpr double kOverheadS = 30.0;             // slew and readout between visits
constexpr double kMinEpochSpacingDays = 0.025;  // 36 min: asteroids move 5-60 px in it

std::string exposure_id(const SimConfig& c, int field, int band, int ccd, int epoch) {
  char tail[16];
  if (epoch < 0) {
    std::snprintf(tail, sizeof tail, "ref");
  } else {
    std::snprintf(tail, sizeof tail, "e%03d", epoch + 1);
  }
  // Appended piecewise: g++ 12 warns falsely (-Wrestrict) on "literal" + std::string.
  std::string id = "s";
  id += std::to_string(c.seed);
  id += '-';
  id += field_name(field);
  id += '-';
  id += c.bands[size_t(band)];
  id += '-';
  id += std::to_string(ccd);
  id += '-';
  id += tail;
  return id;
}

}  // namespace

std::string field_name(int field) {
  char name[16];
  std::snprintf(name, sizeof name, "F%04d", field + 1);
  return name;
}

Schedule make_schedule(const SimConfig& c) {
  Schedule s;
  const int nbands = int(c.bands.size());
  const int visits = c.fields * nbands;
  const double ref_exptime = c.exptime_s * kReferenceDepth;
  const double ref_visit_days = (ref_exptime + kOverheadS) / 86400.0;
  const double visit_days = (c.exptime_s + kOverheadS) / 86400.0;
  s.science.first_mjd = kScienceMjd;
  s.science.spacing_days = std::max(kMinEpochSpacingDays, visits * visit_days);
  s.science.epochs = c.epochs;

  auto add = [&](ExposureKind kind, int f, int b, int epoch, double mjd, double exptime) {
    for (int ccd = 0; ccd < c.ccds; ++ccd) {
      s.exposures.push_back(
          {kind, f, b, ccd, epoch, mjd, exptime, exposure_id(c, f, b, ccd, epoch)});
    }
  };
  for (int f = 0; f < c.fields; ++f) {
    for (int b = 0; b < nbands; ++b) {
      add(ExposureKind::kReference, f, b, -1, kReferenceMjd + (f * nbands + b) * ref_visit_days,
          ref_exptime);
    }
  }
  for (int e = 0; e < c.epochs; ++e) {
    for (int f = 0; f < c.fields; ++f) {
      for (int b = 0; b < nbands; ++b) {
        double mjd =
            s.science.first_mjd + e * s.science.spacing_days + (f * nbands + b) * visit_days;
        add(ExposureKind::kScience, f, b, e, mjd, c.exptime_s);
      }
    }
  }
  return s;
}

}  // namespace blink::sim
