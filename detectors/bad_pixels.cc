#include "bad_pixels.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace blink {
namespace {
constexpr uint32_t kMagic = 0x42504D32;  // "BPM2"
}

BadPixelModel::BadPixelModel(int width, int height)
    : width_(width), height_(height), pixel_counts_(size_t(width) * height, 0) {}

int flag_warm_columns(const Image& image, const Image& rms, Mask& mask, int min_length, double threshold) {
  const int w = image.width, h = image.height;
  if (w < 3 || h < min_length) return 0;
  int found = 0;
  std::vector<double> z(h);
  for (int x = 1; x < w - 1; ++x) {
    // Excess over the two neighbouring columns, in units of its noise; stars
    // and galaxies are wider than a pixel and cancel.
    for (int y = 0; y < h; ++y) {
      double r = rms.at(x, y);
      double d = image.at(x, y) - 0.5 * (image.at(x - 1, y) + image.at(x + 1, y));
      // Rows crossing a source say nothing about the column: skip them, and
      // clamp the rest so no single row decides.
      bool skip = mask.at(x, y) || mask.at(x - 1, y) || mask.at(x + 1, y) || image.at(x - 1, y) > 4 * r ||
                  image.at(x, y) > 8 * r || image.at(x + 1, y) > 4 * r;
      z[y] = skip || !(r > 0) ? 0.0 : std::clamp(d / (1.2247 * r), -3.0, 3.0);
    }
    // Best segment anchored at either end of the column (where the readout is).
    for (int end = 0; end < 2; ++end) {
      double sum = 0, best = 0;
      int best_len = 0;
      for (int k = 0; k < h; ++k) {
        sum += z[end == 0 ? k : h - 1 - k];
        int len = k + 1;
        double score = sum / std::sqrt(double(len));
        if (len >= min_length && score > best) best = score, best_len = len;
      }
      if (best > threshold) {
        for (int k = 0; k < best_len; ++k) mask.at(x, end == 0 ? k : h - 1 - k) |= kMaskBadPixel;
        ++found;
        break;
      }
    }
  }
  return found;
}

DefectObservation observe_defects(const Mask& flags) {
  DefectObservation o;
  o.width = flags.width, o.height = flags.height;
  for (size_t i = 0; i < flags.size(); ++i)
    if (flags.pixels[i] & (kMaskCosmicRay | kMaskBadPixel)) o.pixels.push_back(uint32_t(i));
  return o;
}

void BadPixelModel::observe(const DefectObservation& seen) {
  if (seen.width != width_ || seen.height != height_) return;
  for (uint32_t i : seen.pixels)
    if (i < pixel_counts_.size() && pixel_counts_[i] < UINT16_MAX) ++pixel_counts_[i];
  ++exposures_;
}

Mask BadPixelModel::mask(int min_exposures, double min_fraction) const {
  Mask m(width_, height_, 0);
  if (exposures_ < min_exposures) return m;
  const double need = min_fraction * exposures_;
  for (size_t i = 0; i < pixel_counts_.size(); ++i)
    if (pixel_counts_[i] >= need) m.pixels[i] = kMaskBadPixel;
  return m;
}

std::vector<uint8_t> BadPixelModel::serialize() const {
  std::vector<uint8_t> out(16 + 2 * pixel_counts_.size());
  uint32_t head[4] = {kMagic, uint32_t(width_), uint32_t(height_), uint32_t(exposures_)};
  std::memcpy(out.data(), head, 16);
  std::memcpy(out.data() + 16, pixel_counts_.data(), 2 * pixel_counts_.size());
  return out;
}

Result<BadPixelModel> BadPixelModel::deserialize(const std::vector<uint8_t>& bytes) {
  if (bytes.size() < 16) return Status::corrupt("bad-pixel model is shorter than its header");
  uint32_t head[4];
  std::memcpy(head, bytes.data(), 16);
  if (head[0] != kMagic) return Status::corrupt("bad-pixel model has the wrong magic number");
  if (head[1] == 0 || head[2] == 0 || head[1] > 65536 || head[2] > 65536)
    return Status::corrupt("bad-pixel model has impossible dimensions");
  BadPixelModel m{int(head[1]), int(head[2])};
  size_t need = 16 + 2 * m.pixel_counts_.size();
  if (bytes.size() != need) {
    return Status::corrupt("bad-pixel model is " + std::to_string(bytes.size()) + " bytes, expected " +
                           std::to_string(need));
  }
  m.exposures_ = int(head[3]);
  std::memcpy(m.pixel_counts_.data(), bytes.data() + 16, 2 * m.pixel_counts_.size());
  return m;
}

}  // namespace blink
