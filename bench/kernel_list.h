// Reads the kernel solution ficonv (fitsh) writes with --output-kernel-list:
// a human-readable list of basis kernels, each with the coefficients of a
// polynomial in position. The benchmark needs the fitted kernel's sum (the
// photometric scale) and its sum of squares (how it scales the reference's
// noise into the difference image).
#pragma once

#include <string>

#include "image.h"
#include "status.h"

namespace blink::bench {

// The fitted convolution kernel at the fit's origin, which ficonv puts at
// the frame centre ("offset" in the [global] block), where every spatial
// term but the constant vanishes. The background term is not part of it.
struct KernelSummary {
  Image kernel;       // (2 * half_size + 1)^2, centre pixel at (half_size, half_size)
  int half_size = 0;
  int terms = 0;      // basis kernels read, background included
  double sum = 0;     // flux ratio science / reference
  double sum_sq = 0;  // sum of the kernel's squared pixels
};

// Parses the text of a kernel list. Each non-background basis kernel must
// carry the "#image" comment ficonv writes with it (identity needs none).
Result<KernelSummary> parse_kernel_list(const std::string& text);

}  // namespace blink::bench
