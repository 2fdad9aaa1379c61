// The truth's expected_snr: how significant a change should be on a
// difference image of this science exposure and its reference, for the
// optimal point-source statistic (Zackay, Ofek & Gal-Yam 2016).
//
// With P_i the science's pixel-integrated PSF at the source (unit sum), the
// local noise of each image is its variance weighted by P_i^2:
//
//   V_sci = sum_i P_i^2 (E_i / g + (rn / g)^2) / sum_i P_i^2
//   V_ref = sum_i P_i^2 (f^2 (R_i / g + (rn / g)^2) + f (E_i - S_i - F_now P_i + F_ref P_i) / g) / sum_i P_i^2
//
// where E_i is the science expectation (sky, every source, dark current), S_i
// the science sky, R_i the reference sky (reference ADU), F_now and F_ref the
// source's flux now and in the reference (science ADU), and f the factor that
// brings reference ADU to science ADU (10^(-0.4 (MAGZP_ref - MAGZP_sci))).
// The flux's variance is then 1 / integral over frequencies k of
//
//   |P_sci(k)|^2 |P_ref(k)|^2 / (V_sci |P_ref(k)|^2 + V_ref |P_sci(k)|^2),
//
// which is sum(P^2) / (V_sci + V_ref) when the two PSFs are the same, lower
// than that when the reference is blurrier (its missing fine detail cannot be
// made up), higher when it is sharper (it can be blurred to match at little
// cost). expected_snr = |F_now - F_ref| / sigma.
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
  const PsfModel* reference_psf = nullptr;  // on the science grid; null: the science PSF
};

double expected_snr(const DifferenceNoise& noise, const PsfModel& psf, double x, double y,
                    double flux_now, double flux_ref);

}  // namespace blink::sim
