#include "http_query.h"

#include <civetweb.h>

#include <charconv>

namespace blink {

std::optional<std::string> query_param(std::string_view query, const char* name) {
  char buf[256];
  int n = mg_get_var(query.data(), query.size(), name, buf, sizeof buf);
  if (n == -1) return std::nullopt;
  if (n < 0) return std::string();
  return std::string(buf, size_t(n));
}

std::optional<int> parse_limit(const std::optional<std::string>& text, int fallback, int max_limit) {
  if (!text) return fallback;
  long long v = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (text->empty() || ec == std::errc::invalid_argument || end != text->data() + text->size())
    return std::nullopt;
  // Out of range leaves v untouched: a huge positive number is capped, a huge negative one refused.
  if (ec == std::errc::result_out_of_range) {
    if ((*text)[0] == '-') return std::nullopt;
    return max_limit;
  }
  if (v < 1) return std::nullopt;
  return v > max_limit ? max_limit : int(v);
}

std::optional<std::string> decode_path_segment(std::string_view segment) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < segment.size(); ++i) {
    char c = segment[i];
    if (c == '%') {
      if (i + 2 >= segment.size()) return std::nullopt;
      int hi = hex(segment[i + 1]), lo = hex(segment[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      c = char(hi * 16 + lo);
      i += 2;
    }
    if (c == '\0' || c == '/') return std::nullopt;
    out += c;
    if (out.size() > 255) return std::nullopt;
  }
  return out;
}

bool has_dot_dot_segment(std::string_view uri) {
  size_t start = 0;
  while (start <= uri.size()) {
    size_t end = uri.find('/', start);
    if (end == std::string_view::npos) end = uri.size();
    if (uri.substr(start, end - start) == "..") return true;
    start = end + 1;
  }
  return false;
}

}  // namespace blink
