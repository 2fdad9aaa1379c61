// Small simulated nights shared by the simulator's tests.
#pragma once

#include <catch2/catch.hpp>
#include <vector>

#include "survey.h"

namespace blink::sim::testing {

// One field, two epochs of size x size pixels: every case stays well under a second.
inline SimConfig small_config(uint64_t seed = 3, int size = 256) {
  SimConfig c;
  c.seed = seed;
  c.fields = 1;
  c.epochs = 2;
  c.width = c.height = size;
  return c;
}

inline std::vector<SimExposure> render_all(const SimConfig& c) {
  SurveySimulator sim(c);
  std::vector<SimExposure> out;
  SimExposure e;
  while (sim.next(e)) out.push_back(std::move(e));
  REQUIRE(sim.status().is_ok());
  return out;
}

}  // namespace blink::sim::testing
