// 8-bit greyscale pixels to PNG file bytes in memory, for the cutouts the
// volunteers' page shows. The only libpng user: libpng's longjmp error
// reporting is turned into a Status here and nowhere else. Thread-safe (each
// call has its own libpng state).
#pragma once

#include <string>

#include "status.h"
#include "stretch.h"

namespace blink {

// The PNG file (8-bit grey, not interlaced) as bytes; a std::string because
// that is what the HTTP responder sends. Fails on an empty image, a pixel
// count that does not match width x height, or anything libpng reports.
Result<std::string> encode_png_grey(const GreyImage& image);

}  // namespace blink
