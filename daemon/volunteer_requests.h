// The volunteers' request bodies, checked: JSON in, a request or the 400 to
// send out. Pure (no database, no server), so the fuzzer reaches it
// (tests/fuzz/fuzz_request_bodies.cc).
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "http_types.h"
#include "swap.h"

namespace blink {

inline constexpr size_t kMaxDisplayNameBytes = 60;
inline constexpr size_t kMaxCommentBytes = 1000;

struct SignUpRequest {
  std::string display_name;  // trimmed, printable, 1..kMaxDisplayNameBytes bytes
};

struct ClassificationRequest {
  std::string candidate_id;
  review::Answer answer = review::Answer::kReal;
  std::string comment;  // trimmed, printable (newlines allowed), at most kMaxCommentBytes
};

// POST /api/v1/volunteers: {"display_name": "..."}.
std::variant<SignUpRequest, HttpResponse> parse_sign_up(std::string_view body);
// POST /api/v1/classifications: {"candidate_id", "answer", "comment"?}.
std::variant<ClassificationRequest, HttpResponse> parse_classification(std::string_view body);

}  // namespace blink
