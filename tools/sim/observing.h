// Conditions of each exposure and where the telescope pointed: seeing, sky
// brightness, transparency, pointing errors, and the WCS that follows.
// Pure functions of (seed, field, band, ccd, epoch).
#pragma once

#include <vector>

#include "fits_io.h"
#include "instrument.h"
#include "psf_render.h"
#include "sky_model.h"
#include "status.h"
#include "survey.h"
#include "wcs.h"

namespace blink::sim {

// One visit: a field in a band at one epoch (epoch -1: its reference),
// shared by all ccds of the camera.
struct VisitConditions {
  PsfModel psf;                             // width/height and terms left for the exposure to fill
  double sky_offset_mag = 0;                // from the band's dark sky (mag / arcsec^2)
  double extinction = 0;                    // mag lost to airmass and cloud
  double pointing_dx = 0, pointing_dy = 0;  // pixels, boresight offset from nominal
  double rotation_deg = 0;
};
VisitConditions visit_conditions(uint64_t seed, int field, int band, int epoch);

// What differs between the ccds of one visit.
struct CcdConditions {
  double sky_tilt_x = 0, sky_tilt_y = 0, sky_curvature = 0;
  double crpix_error_x = 0, crpix_error_y = 0;  // pixels, written to the header only
};
CcdConditions ccd_conditions(const SimConfig& config, int field, int band, int ccd, int epoch);

double exposure_magzp(const Band& band, double exptime_s, double extinction);
SkyBackground exposure_sky(const Band& band, const VisitConditions& visit, const CcdConditions& ccd,
                           double exptime_s, double pixel_scale_arcsec, int width, int height);

// Pointing: field centres are spread over the sky by the seed; ccds sit in a
// row across the focal plane, centred on the boresight.
SkyCoord field_centre(uint64_t seed, int field);
// WCS of a ccd at the nominal pointing (no offset, no rotation).
Result<Wcs> nominal_wcs(const SimConfig& config, int field, int ccd);
// The true WCS of a ccd in a visit: the boresight moved by the pointing
// offset and the focal plane rotated about it.
Result<std::vector<FitsCard>> true_wcs_cards(const SimConfig& config, const Wcs& nominal, int ccd,
                                             const VisitConditions& visit);

// Parses WCS cards (as written by tan_wcs_cards) into a Wcs.
Result<Wcs> wcs_from_cards(const std::vector<FitsCard>& cards);

}  // namespace blink::sim
