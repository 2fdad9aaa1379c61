// Parsing of the untrusted parts of an HTTP request: query parameters and the
// path. Pure functions, apart from civetweb's URL decoding, so they can be
// fuzzed (tests/fuzz/fuzz_http_query.cc) without a server.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace blink {

// The URL-decoded value of parameter `name` in `query` (the part after '?'):
// nullopt when absent; "" when longer than 255 bytes once decoded.
std::optional<std::string> query_param(std::string_view query, const char* name);

// limit=N: absent -> fallback; 1..max_limit; larger values are capped; nullopt
// when malformed (empty, not a whole number, below 1).
std::optional<int> parse_limit(const std::optional<std::string>& text, int fallback, int max_limit);

// One path segment, percent-decoded ('+' stays '+'): nullopt when malformed
// (a bad escape), when it decodes to a NUL or '/', or when longer than 255 bytes.
std::optional<std::string> decode_path_segment(std::string_view segment);

// True when one '/'-separated segment of `uri` is exactly "..".
bool has_dot_dot_segment(std::string_view uri);

}  // namespace blink
