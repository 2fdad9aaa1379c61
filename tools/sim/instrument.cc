#include "instrument.h"

namespace blink::sim {
namespace {

// r is tuned so a 30 s exposure at 1"/px has sky of 800-1500 ADU, stars
// brighter than about mag 14 saturate in typical seeing, and the 5-sigma
// point-source limit is near mag 21.7; the other bands keep realistic offsets.
constexpr Band kBands[] = {
    {"u", 23.7, 22.9, 2.0},   {"g", 25.4, 22.3, 1.0},  {"r", 25.3, 21.4, 0.0},
    {"i", 25.0, 20.6, -0.45}, {"z", 24.5, 19.7, -0.7}, {"y", 23.6, 18.9, -0.8},
};

}  // namespace

const Band* find_band(const std::string& name) {
  for (const Band& b : kBands) {
    if (name == b.name) return &b;
  }
  return nullptr;
}

std::string known_bands() {
  std::string out;
  for (const Band& b : kBands) {
    if (!out.empty()) out += ", ";
    out += b.name;
  }
  return out;
}

}  // namespace blink::sim
