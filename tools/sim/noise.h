// Photon and read noise: turns the noiseless expectation (ADU) into what the
// detector reads out. Row y draws from its own stream, so the result does not
// depend on how many threads share the rows.
#pragma once

#include <cstdint>

#include "image.h"

namespace blink::sim {

// out = (Poisson(expected * gain) + Normal(0, read_noise_e)) / gain, per pixel.
// `stream` names the exposure; rows derive their own streams from it.
void realise_noise(const Image& expected, uint64_t stream, double gain, double read_noise_e,
                   int threads, Image& out);

}  // namespace blink::sim
