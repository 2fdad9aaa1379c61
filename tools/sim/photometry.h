// The truth's expected_snr: how significant a change should be on a
// difference image of this science exposure and its reference, for an
// optimal (PSF-weighted) flux measurement.
//
// With P_i the pixel-integrated PSF at the source (unit sum), the PSF-fit flux
// estimate weights pixel i by P_i / sum(P^2), so its variance is
//
//   sigma^2 = sum_i P_i^2 (V_sci,i + V_ref,i) / (sum_i P_i^2)^2,
//   V_sci,i = E_i / g + (rn / g)^2                        (science ADU^2)
//   V_ref,i = f^2 (R_i / g + (rn / g)^2) + f (E_i - S_i - F_now P_i + F_ref P_i) / g
//
// where E_i is the science expectation (sky, every source, dark current), S_i
// the science sky, R_i the reference sky (reference ADU), F_now and F_ref the
// source's flux now and in the reference (science ADU), and f the factor that
// brings reference ADU to science ADU (10^(-0.4 (MAGZP_ref - MAGZP_sci))). The
// reference term is its Poisson and read noise scaled to the science system;
// its static sources are taken from the science expectation (seeing
// differences ignored). Convolving the reference to the science PSF can only
// lower its per-pixel noise, so this is the usual, slightly conservative,
// figure. expected_snr = |F_now - F_ref| / sigma.
#pragma once

#include "image.h"
#include "psf_render.h"
#include "sky_model.h"

namespace blink::sim {

struct DifferenceNoise {
  const Image* expected = nullptr;  // science expectation, ADU
  SkyBackground science_sky;
  SkyBackground reference_sky;      // in reference ADU
  double reference_to_science = 1;  // f
  double gain = 1, read_noise_e = 0;
};

double expected_snr(const DifferenceNoise& noise, const PsfModel& psf, double x, double y,
                    double flux_now, double flux_ref);

}  // namespace blink::sim
