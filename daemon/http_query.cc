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
