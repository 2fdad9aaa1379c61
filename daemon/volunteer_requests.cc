#include "volunteer_requests.h"

namespace blink {
namespace {

// The JSON object in the body, or the 400 to send.
std::variant<nlohmann::json, HttpResponse> json_body(std::string_view body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded()) return HttpResponse::error(400, "the body is not valid JSON");
  if (!j.is_object()) return HttpResponse::error(400, "the body must be a JSON object");
  return j;
}

// Text without control characters (newlines and tabs allowed in comments),
// valid UTF-8 being nlohmann's job when it parsed the body.
bool printable(const std::string& s, bool allow_newlines) {
  for (unsigned char c : s) {
    if (c == '\n' || c == '\t') {
      if (!allow_newlines) return false;
    } else if (c < 0x20 || c == 0x7f) {
      return false;
    }
  }
  return true;
}

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\n");
  if (a == std::string::npos) return "";
  size_t b = s.find_last_not_of(" \t\n");
  return s.substr(a, b - a + 1);
}

}  // namespace

std::variant<SignUpRequest, HttpResponse> parse_sign_up(std::string_view text) {
  auto body = json_body(text);
  if (auto* bad = std::get_if<HttpResponse>(&body)) return *bad;
  const auto& j = std::get<nlohmann::json>(body);
  auto it = j.find("display_name");
  if (it == j.end() || !it->is_string())
    return HttpResponse::error(400, "display_name (a string) is required");
  std::string name = trim(it->get<std::string>());
  if (name.empty()) return HttpResponse::error(400, "display_name must not be empty");
  if (name.size() > kMaxDisplayNameBytes)
    return HttpResponse::error(400, "display_name is longer than " +
                                        std::to_string(kMaxDisplayNameBytes) + " bytes");
  if (!printable(name, false))
    return HttpResponse::error(400, "display_name must not contain control characters");
  return SignUpRequest{std::move(name)};
}

std::variant<ClassificationRequest, HttpResponse> parse_classification(std::string_view text) {
  auto body = json_body(text);
  if (auto* bad = std::get_if<HttpResponse>(&body)) return *bad;
  const auto& j = std::get<nlohmann::json>(body);
  ClassificationRequest r;
  auto id = j.find("candidate_id");
  if (id == j.end() || !id->is_string() || id->get<std::string>().empty())
    return HttpResponse::error(400, "candidate_id (a string) is required");
  r.candidate_id = id->get<std::string>();
  auto answer_it = j.find("answer");
  if (answer_it == j.end() || !answer_it->is_string())
    return HttpResponse::error(400, "answer is required: \"real\", \"bogus\" or \"odd\"");
  auto answer = review::parse_answer(answer_it->get<std::string>());
  if (!answer)
    return HttpResponse::error(400, "answer must be \"real\", \"bogus\" or \"odd\"; got \"" +
                                        answer_it->get<std::string>().substr(0, 32) + "\"");
  r.answer = *answer;
  if (auto c = j.find("comment"); c != j.end() && !c->is_null()) {
    if (!c->is_string()) return HttpResponse::error(400, "comment must be a string");
    r.comment = trim(c->get<std::string>());
    if (r.comment.size() > kMaxCommentBytes)
      return HttpResponse::error(
          400, "comment is longer than " + std::to_string(kMaxCommentBytes) + " bytes");
    if (!printable(r.comment, true))
      return HttpResponse::error(400, "comment must not contain control characters");
  }
  return r;
}

}  // namespace blink
