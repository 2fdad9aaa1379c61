// The simulated camera and sky: the numbers a survey would publish about its
// instrument. One place, so the truth, the headers and the pixels agree.
#pragma once

#include <string>

namespace blink::sim {

inline constexpr double kGain = 1.5;          // e-/ADU
inline constexpr double kReadNoise = 6.0;     // e- rms
inline constexpr double kSaturate = 60000.0;  // ADU: the ADC clips here
// Reference exposure time over science exposure time: references are deeper
// at the same zero point per second.
inline constexpr double kReferenceDepth = 4.0;
// Injected sources keep this far from the edges (pixels).
inline constexpr int kBorderPx = 30;
// ...and this far from any saturated pixel (core or bleed trail).
inline constexpr double kSaturationAvoidPx = 8.0;
// Detectors sit side by side in a row with this gap (pixels).
inline constexpr double kCcdGapPx = 150;
// Catalogues extend this far beyond the nominal frame so pointing offsets,
// rotation and PSF wings never reveal an empty margin.
inline constexpr double kCatalogueMarginPx = 60;
// Pixels per reference 2048x2048 frame: counts are quoted for this area.
inline constexpr double kReferenceArea = 2048.0 * 2048.0;

// A filter: zero point for a 1 s exposure (mag of 1 ADU/s), dark-sky surface
// brightness (mag/arcsec^2), and how a source's g-r colour shifts its
// magnitude relative to r (m_band = m_r + colour_coeff * (g-r)).
struct Band {
  const char* name;
  double zp_1s;
  double sky_mag;
  double colour_coeff;
};

// nullptr for an unknown band name.
const Band* find_band(const std::string& name);
// "u, g, r, i, z, y", for error messages.
std::string known_bands();

}  // namespace blink::sim
