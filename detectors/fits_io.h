// Reading and writing FITS images held in memory. This is the only file that
// talks to CFITSIO; its status codes become blink::Status here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "image.h"
#include "status.h"

namespace blink {

// A decoded exposure image with the header facts the pipeline needs.
struct FitsImage {
  Image image;
  // All header cards of the image HDU, 80 characters each, no separators:
  // the form wcslib's wcspih() parses.
  std::string header;
  int header_cards = 0;
  std::optional<double> gain;        // e-/ADU (GAIN)
  std::optional<double> read_noise;  // e- (RDNOISE or READNOIS)
  std::optional<double> saturate;    // ADU (SATURATE or SATURATN)
  std::optional<double> magzp;       // magnitude of 1 ADU/exposure (MAGZP)
  // Per-pixel variance (ADU^2) when the file carries an uncertainty image of
  // the same size: an extension named ERR, SIGMA or NOISE (standard
  // deviation), VAR or VARIANCE, or IVAR (inverse variance). Coadds and
  // space-telescope products ship one; it includes the sources' own photon
  // noise, which the header alone cannot give when GAIN is unknown.
  std::optional<Image> variance;
};

struct DecodeLimits {
  int64_t max_pixels = int64_t(16384) * 16384;  // refuse absurd sizes before allocating
  int max_side = 65536;
};

// Decodes the first 2-D image in the buffer: the primary HDU, or the first
// image extension (Rice tile-compressed allowed). Any integer or float BITPIX
// is read as float. NaN/Inf pixels are kept; the caller decides.
Result<FitsImage> decode_fits(const void* data, size_t size, const DecodeLimits& limits = {});

// One header keyword to write.
struct FitsCard {
  std::string key;
  std::variant<double, long, std::string, bool> value;
  std::string comment;
};

enum class FitsCompression { kNone, kRice };

// Encodes a float image (BITPIX -32) with the given cards into FITS bytes.
// With kRice the image goes into a tile-compressed extension (lossy for floats:
// quantised to a quarter of the noise, as fpack does).
Result<std::vector<uint8_t>> encode_fits(const Image& image, const std::vector<FitsCard>& cards,
                                         FitsCompression compression = FitsCompression::kNone);

// Convenience for tests and tools.
Result<FitsImage> read_fits_file(const std::string& path, const DecodeLimits& limits = {});
// Sets image.variance from a separate file of the same size holding the
// per-pixel standard deviation (a noise map shipped beside the image), as an
// ERR extension would.
Status read_noise_map(const std::string& path, FitsImage& image);
Status write_file(const std::string& path, const std::vector<uint8_t>& bytes);

}  // namespace blink
