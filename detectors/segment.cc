#include "segment.h"

#include <vector>

namespace blink {

std::vector<Segment> find_segments(const Image& values, float threshold, const Mask& mask,
                                   uint8_t skip_bits, int min_pixels) {
  const int w = values.width, h = values.height;
  std::vector<Segment> out;
  Plane<uint8_t> seen(w, h, 0);
  std::vector<int> stack;
  for (int y = 0; y < h; ++y) {
    const float* row = values.row(y);
    for (int x = 0; x < w; ++x) {
      if (!(row[x] > threshold) || seen.at(x, y)) continue;
      if (mask.at(x, y) & skip_bits) continue;
      Segment s;
      s.peak = row[x];
      s.peak_x = x, s.peak_y = y;
      s.xmin = s.xmax = x, s.ymin = s.ymax = y;
      stack.clear();
      stack.push_back(y * w + x);
      seen.at(x, y) = 1;
      while (!stack.empty()) {
        int idx = stack.back();
        stack.pop_back();
        int cx = idx % w, cy = idx / w;
        ++s.npix;
        float v = values.pixels[idx];
        if (v > s.peak) s.peak = v, s.peak_x = cx, s.peak_y = cy;
        s.xmin = std::min(s.xmin, cx), s.xmax = std::max(s.xmax, cx);
        s.ymin = std::min(s.ymin, cy), s.ymax = std::max(s.ymax, cy);
        for (int dy = -1; dy <= 1; ++dy) {
          for (int dx = -1; dx <= 1; ++dx) {
            int nx = cx + dx, ny = cy + dy;
            if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
            if (mask.at(nx, ny) & skip_bits) {
              s.touches_mask = true;
              continue;
            }
            if (seen.at(nx, ny) || !(values.at(nx, ny) > threshold)) continue;
            seen.at(nx, ny) = 1;
            stack.push_back(ny * w + nx);
          }
        }
      }
      if (s.npix >= min_pixels) out.push_back(s);
    }
  }
  return out;
}

}  // namespace blink

namespace blink {

std::vector<Segment> find_peaks(const Image& values, float threshold, const Mask& mask, uint8_t skip_bits,
                                int radius) {
  const int w = values.width, h = values.height;
  std::vector<Segment> out;
  for (int y = 0; y < h; ++y) {
    const float* row = values.row(y);
    for (int x = 0; x < w; ++x) {
      const float v = row[x];
      if (!(v > threshold) || (mask.at(x, y) & skip_bits)) continue;
      bool is_peak = true;
      int above = 0;
      bool touches = false;
      for (int dy = -radius; dy <= radius && is_peak; ++dy) {
        int yy = y + dy;
        if (yy < 0 || yy >= h) continue;
        for (int dx = -radius; dx <= radius; ++dx) {
          int xx = x + dx;
          if (xx < 0 || xx >= w || (!dx && !dy)) continue;
          float u = values.at(xx, yy);
          // Ties go to the first pixel in raster order so a flat top yields one peak.
          if (u > v || (u == v && (dy < 0 || (dy == 0 && dx < 0)))) {
            is_peak = false;
            break;
          }
          if (u > threshold) ++above;
          if (mask.at(xx, yy) & skip_bits) touches = true;
        }
      }
      if (!is_peak) continue;
      Segment s;
      s.peak = v, s.peak_x = x, s.peak_y = y;
      s.npix = above + 1;
      s.xmin = std::max(0, x - radius), s.xmax = std::min(w - 1, x + radius);
      s.ymin = std::max(0, y - radius), s.ymax = std::min(h - 1, y + radius);
      s.touches_mask = touches;
      out.push_back(s);
    }
  }
  return out;
}

}  // namespace blink
