// libFuzzer: the volunteers' request bodies (daemon/volunteer_requests.h):
// any bytes give a request that keeps its promises or a 400, never a crash.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "volunteer_requests.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto s = blink::parse_sign_up(body);
  if (auto* r = std::get_if<blink::SignUpRequest>(&s)) {
    if (r->display_name.empty() || r->display_name.size() > blink::kMaxDisplayNameBytes) std::abort();
  } else if (std::get<blink::HttpResponse>(s).code != 400) {
    std::abort();
  }
  auto c = blink::parse_classification(body);
  if (auto* r = std::get_if<blink::ClassificationRequest>(&c)) {
    if (r->candidate_id.empty() || r->comment.size() > blink::kMaxCommentBytes) std::abort();
  } else if (std::get<blink::HttpResponse>(c).code != 400) {
    std::abort();
  }
  return 0;
}
