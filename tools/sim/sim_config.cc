// Validation of SimConfig and the kind helpers declared in survey.h.
#include <set>

#include "instrument.h"
#include "survey.h"

namespace blink::sim {
namespace {

Status out_of_range(const std::string& what, const std::string& range) {
  return Status::invalid(what + " must be " + range);
}

}  // namespace

Status validate(const SimConfig& c) {
  if (c.fields < 1 || c.fields > 9999) return out_of_range("fields", "1-9999");
  if (c.bands.empty()) return Status::invalid("bands must name at least one band");
  std::set<std::string> seen;
  for (const std::string& b : c.bands) {
    if (!find_band(b))
      return Status::invalid("unknown band '" + b + "' (known: " + known_bands() + ")");
    if (!seen.insert(b).second) return Status::invalid("band '" + b + "' is listed twice");
  }
  if (c.ccds < 1 || c.ccds > 64) return out_of_range("ccds", "1-64");
  if (c.epochs < 0 || c.epochs > 999) return out_of_range("epochs", "0-999");
  // Smaller frames leave no room inside the 30 px border for injections.
  if (c.width < 128 || c.height < 128 || c.width > 16384 || c.height > 16384) {
    return out_of_range("width and height", "128-16384 pixels");
  }
  if (!(c.pixel_scale_arcsec > 0.05 && c.pixel_scale_arcsec <= 10))
    return out_of_range("pixel scale", "0.05-10 arcsec");
  if (!(c.exptime_s > 0 && c.exptime_s <= 3600)) return out_of_range("exposure time", "0-3600 s");
  if (!(c.wcs_error_px >= 0 && c.wcs_error_px <= 20)) return out_of_range("wcs error", "0-20 px");
  if (!(c.transient_density >= 0 && c.transient_density <= 100))
    return out_of_range("transient density", "0-100");
  if (c.threads < 1 || c.threads > 256) return out_of_range("threads", "1-256");
  return Status::ok();
}

bool is_astrophysical(std::string_view kind) {
  return kind == kKindTransient || kind == kKindTransientNuclear ||
         kind == kKindTransientHostless || kind == kKindVariable || kind == kKindMoving;
}

}  // namespace blink::sim
