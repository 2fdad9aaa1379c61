// Renders one exposure of the schedule: the sky and its sources as a
// noiseless expectation, the changes injected into a science exposure with
// their expected S/N, then the readout (noise, cosmic rays, saturation) and
// the header. A pure function of its inputs.
#pragma once

#include "artefacts.h"
#include "schedule.h"
#include "sky_model.h"
#include "status.h"
#include "survey.h"
#include "wcs.h"

namespace blink::sim {

// What an exposure takes from the simulator's caches. Borrowed for the call.
struct ExposureInputs {
  const SimConfig& config;
  const ExposureSpec& spec;
  const FieldCatalogue& catalogue;
  const Wcs& nominal;  // the ccd's nominal grid, on which asteroid tracks are defined
  const DetectorDefects& defects;
};

Result<SimExposure> render_exposure(const ExposureInputs& in);

}  // namespace blink::sim
