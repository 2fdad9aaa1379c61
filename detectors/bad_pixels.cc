#include "bad_pixels.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace blink {
namespace {
constexpr uint32_t kMagic = 0x42504D31;  // "BPM1"
}

BadPixelModel::BadPixelModel(int width, int height)
    : width_(width), height_(height), pixel_counts_(size_t(width) * height, 0), column_counts_(width, 0) {}

DefectObservation observe_defects(const Mask& flags, const Image& image, const Image& rms) {
  DefectObservation o;
  o.width = flags.width, o.height = flags.height;
  for (size_t i = 0; i < flags.size(); ++i)
    if (flags.pixels[i] & kMaskCosmicRay) o.sharp_pixels.push_back(uint32_t(i));
  // A warm column lifts its median by a fraction of the noise that no star
  // or sky structure matches over the whole height: 5 sigma of a median.
  o.warm_columns.assign(o.width, 0);
  std::vector<float> col(o.height);
  for (int x = 0; x < o.width; ++x) {
    double noise = 0;
    for (int y = 0; y < o.height; ++y) {
      col[y] = image.at(x, y);
      noise += rms.at(x, y);
    }
    noise /= o.height;
    std::nth_element(col.begin(), col.begin() + o.height / 2, col.end());
    double median_err = 1.2533 * noise / std::sqrt(double(o.height));
    o.warm_columns[x] = col[o.height / 2] > 5 * median_err;
  }
  return o;
}

void BadPixelModel::observe(const DefectObservation& seen) {
  if (seen.width != width_ || seen.height != height_) return;
  for (uint32_t i : seen.sharp_pixels)
    if (i < pixel_counts_.size() && pixel_counts_[i] < UINT16_MAX) ++pixel_counts_[i];
  for (int x = 0; x < width_; ++x)
    if (seen.warm_columns[x] && column_counts_[x] < UINT16_MAX) ++column_counts_[x];
  ++exposures_;
}

Mask BadPixelModel::mask(int min_exposures, double min_fraction) const {
  Mask m(width_, height_, 0);
  if (exposures_ < min_exposures) return m;
  const double need = min_fraction * exposures_;
  for (size_t i = 0; i < pixel_counts_.size(); ++i)
    if (pixel_counts_[i] >= need) m.pixels[i] = kMaskBadPixel;
  for (int x = 0; x < width_; ++x)
    if (column_counts_[x] >= need)
      for (int y = 0; y < height_; ++y) m.at(x, y) = kMaskBadPixel;
  return m;
}

std::vector<uint8_t> BadPixelModel::serialize() const {
  std::vector<uint8_t> out(16 + 2 * (pixel_counts_.size() + column_counts_.size()));
  uint32_t head[4] = {kMagic, uint32_t(width_), uint32_t(height_), uint32_t(exposures_)};
  std::memcpy(out.data(), head, 16);
  std::memcpy(out.data() + 16, pixel_counts_.data(), 2 * pixel_counts_.size());
  std::memcpy(out.data() + 16 + 2 * pixel_counts_.size(), column_counts_.data(), 2 * column_counts_.size());
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
  size_t need = 16 + 2 * (m.pixel_counts_.size() + m.column_counts_.size());
  if (bytes.size() != need) {
    return Status::corrupt("bad-pixel model is " + std::to_string(bytes.size()) + " bytes, expected " +
                           std::to_string(need));
  }
  m.exposures_ = int(head[3]);
  std::memcpy(m.pixel_counts_.data(), bytes.data() + 16, 2 * m.pixel_counts_.size());
  std::memcpy(m.column_counts_.data(), bytes.data() + 16 + 2 * m.pixel_counts_.size(), 2 * m.column_counts_.size());
  return m;
}

}  // namespace blink
