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

int flag_warm_columns(const Image& image, const Image& rms, Mask& mask, int min_length, double threshold,
                      int threads) {
  const int w = image.width, h = image.height;
  if (w < 3 || h < min_length) return 0;
  // Excess of each pixel over its two neighbouring columns, in units of its
  // noise; stars and galaxies are wider than a pixel and cancel. Rows
  // crossing a source say nothing about the column and count as zero; the
  // rest are clamped so no single row decides.
  Image z(w, h, 0.0f);
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int y = 0; y < h; ++y) {
    const float* im = image.row(y);
    const float* rr = rms.row(y);
    const uint8_t* m = mask.row(y);
    float* zr = z.row(y);
    for (int x = 1; x < w - 1; ++x) {
      const float r = rr[x];
      if (!(r > 0) || m[x] || m[x - 1] || m[x + 1]) continue;
      if (im[x - 1] > 4 * r || im[x + 1] > 4 * r || im[x] > 8 * r) continue;
      const float d = im[x] - 0.5f * (im[x - 1] + im[x + 1]);
      zr[x] = std::clamp(d / (1.2247f * r), -3.0f, 3.0f);
    }
  }
  // The best segment anchored at either end of each column (where the
  // readout is), found by streaming rows: cache-friendly on big images.
  std::vector<int> best_len(w, 0), best_end(w, 0);
  std::vector<double> best(w, threshold), sum(w);
  for (int end = 0; end < 2; ++end) {
    std::fill(sum.begin(), sum.end(), 0.0);
    for (int k = 0; k < h; ++k) {
      const int y = end == 0 ? k : h - 1 - k;
      const int len = k + 1;
      const double norm = 1.0 / std::sqrt(double(len));
      const float* zr = z.row(y);
      for (int x = 1; x < w - 1; ++x) {
        sum[x] += zr[x];
        double score = sum[x] * norm;
        if (len >= min_length && score > best[x]) best[x] = score, best_len[x] = len, best_end[x] = end;
      }
    }
  }
  int found = 0;
  for (int x = 1; x < w - 1; ++x) {
    if (best_len[x] == 0) continue;
    for (int k = 0; k < best_len[x]; ++k) mask.at(x, best_end[x] == 0 ? k : h - 1 - k) |= kMaskBadPixel;
    ++found;
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
