// libFuzzer: FITS decoding from memory (detectors/fits_io.h), with limits small
// enough that a header claiming a huge image is refused, not allocated.
#include <cstdint>
#include <cstdlib>

#include "fits_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  blink::DecodeLimits limits;
  limits.max_pixels = int64_t(1) << 22;
  limits.max_side = 8192;
  auto image = blink::decode_fits(data, size, limits);
  if (image) {
    const blink::Image& im = image->image;
    if (im.width <= 0 || im.height <= 0 || im.pixels.size() != size_t(im.width) * size_t(im.height))
      std::abort();
    if (image->header.size() != size_t(image->header_cards) * 80) std::abort();
  } else if (image.status().message().empty()) {
    std::abort();
  }
  return 0;
}
