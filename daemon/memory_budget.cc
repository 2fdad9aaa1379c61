#include "memory_budget.h"

#include <algorithm>
#include <charconv>
#include <string_view>

namespace blink {
namespace {

// The integer value of the header card `name` (padded to 8) in `text`, or -1.
int64_t card_value(std::string_view text, std::string_view name) {
  for (size_t at = 0; at + 80 <= text.size(); at += 80) {
    std::string_view card = text.substr(at, 80);
    if (card.substr(0, 8).substr(0, name.size()) != name) continue;
    std::string_view key = card.substr(0, 8);
    if (key.find_first_not_of(' ', name.size()) != std::string_view::npos) continue;
    if (card.substr(8, 2) != "= ") continue;
    std::string_view value = card.substr(10, 20);
    size_t start = value.find_first_not_of(' ');
    if (start == std::string_view::npos) return -1;
    int64_t v = -1;
    auto [p, ec] = std::from_chars(value.data() + start, value.data() + value.size(), v);
    return ec == std::errc() ? v : -1;
  }
  return -1;
}

}  // namespace

int64_t fits_declared_pixels(std::span<const uint8_t> fits) {
  // Headers of the first HDUs sit within the first few 2880-byte blocks.
  const size_t n = std::min<size_t>(fits.size(), 64 * 2880);
  std::string_view text(reinterpret_cast<const char*>(fits.data()), n);
  int64_t w = card_value(text, "ZNAXIS1"), h = card_value(text, "ZNAXIS2");
  if (w <= 0 || h <= 0) {
    w = card_value(text, "NAXIS1");
    h = card_value(text, "NAXIS2");
  }
  if (w <= 0 || h <= 0 || w > (int64_t(1) << 20) || h > (int64_t(1) << 20)) return 0;
  return w * h;
}

}  // namespace blink
