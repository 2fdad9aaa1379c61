// libFuzzer: what blinkd reads from an HTTP request line (daemon/http_query.h
// and parse_route): the query string's route and limit and the path check.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "http_query.h"
#include "router.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  size_t q = text.find('?');
  std::string_view path = text.substr(0, q);
  std::string_view query = q == std::string_view::npos ? std::string_view() : text.substr(q + 1);
  (void)blink::has_dot_dot_segment(path);
  if (auto route = blink::query_param(query, "route")) (void)blink::parse_route(*route);
  auto limit = blink::parse_limit(blink::query_param(query, "limit"), 50, 500);
  if (limit && (*limit < 1 || *limit > 500)) std::abort();
  return 0;
}
