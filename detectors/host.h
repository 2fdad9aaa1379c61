// What the reference shows under and around a candidate: the galaxy it may
// belong to (host association) and whether a star sits right there. The
// classifier reads these: a new source off a galaxy's centre is supernova-like,
// at its centre nuclear, on a star a variable.
#pragma once

#include <vector>

#include "align.h"
#include "candidate.h"
#include "source_grid.h"
#include "sources.h"

namespace blink {

struct HostOptions {
  // A reference source is a galaxy when its FWHM exceeds the PSF's by this factor.
  double extended_ratio = 1.3;
  // Hosts are searched within this many of their radii and pixels (reference grid).
  double max_separation_radii = 5.0;
  double max_offset_pixels = 80.0;
};

// The reference catalogue as the association sees it.
struct ReferenceContext {
  const std::vector<Source>& sources;
  const SourceGrid& grid;
  double psf_fwhm;       // reference pixels
  const PixelMap& map;   // science -> reference pixels
  double magzp;          // of the reference
};

// Sets c's host_* fields (host_radius stays 0 when no galaxy qualifies) and
// ref_point_source. (rx, ry): the candidate on the reference grid.
// host_ra/host_dec are left to the caller's WCS pass.
void associate_host(Candidate& c, double rx, double ry, const ReferenceContext& ref,
                    const HostOptions& options = {});

}  // namespace blink
