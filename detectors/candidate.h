// What the detectors report for each source found on a difference image.
#pragma once

#include <string>

namespace blink {

struct Candidate {
  // Position on the science image (0-based pixels) and on the sky (degrees).
  double x = 0, y = 0;
  double ra = 0, dec = 0;
  // PSF-fit flux on the difference image, in science-image ADU, and its 1-sigma error.
  double flux = 0, flux_err = 0;
  double snr = 0;             // flux / flux_err
  double mag = 99, mag_err = 99;  // AB-like, from MAGZP; 99 when flux <= 0
  double fwhm = 0;            // pixels, from second moments on the difference image
  double elongation = 1;      // major / minor axis
  double fwhm_ratio = 1;      // fwhm / PSF fwhm of the difference image
  double negative_fraction = 0;  // share of pixels within 2 FWHM that are significantly negative
  double sharpness = 0;       // peak / PSF-expected peak for this flux (cosmic rays are >> 1)
  double ref_distance = 1e9;  // pixels to the nearest reference-catalogue source
  double ref_mag = 99;        // that source's magnitude
  // The galaxy this may belong to: the nearest extended reference source
  // within a few of its radii (host_radius == 0: no host found).
  double host_x = 0, host_y = 0;     // science pixels
  double host_ra = 0, host_dec = 0;  // degrees
  double host_offset = 0;            // pixels from the host's centre
  double host_radius = 0;            // the host's half-width at half maximum, pixels
  double host_mag = 99;
  bool ref_point_source = false;     // the nearest reference source is star-like (PSF-sized)
  int npix = 0;               // connected pixels above threshold
  bool on_mask = false;       // touches saturated, edge, bad or cosmic-ray pixels
  double real_bogus = 0;      // probability that this is a real astrophysical change
  // Index into DifferenceResult::fakes when this is an injected fake, else -1.
  // Set after measurement and scoring, which never look at it.
  int fake_index = -1;
};

}  // namespace blink
