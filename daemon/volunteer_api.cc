#include "volunteer_api.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>

#include "http_query.h"
#include "volunteer_requests.h"
#include "vote_report.h"

namespace blink {
namespace {

constexpr const char* kApi = "/api/v1/";

HttpResponse from_status(const Status& s) {
  switch (s.code()) {
    case Status::Code::kNotFound:
      return HttpResponse::error(404, s.message());
    case Status::Code::kInvalidArgument:
      return HttpResponse::error(409, s.message());
    case Status::Code::kUnavailable:
      return HttpResponse::error(503, s.message());
    default:
      return HttpResponse::error(500, s.message());
  }
}

HttpResponse method_not_allowed(const char* allowed) {
  HttpResponse r = HttpResponse::error(405, std::string("allowed here: ") + allowed);
  r.extra_headers = std::string("Allow: ") + allowed + "\r\n";
  return r;
}

}  // namespace

std::optional<HttpResponse> VolunteerApi::handle(const HttpRequest& request) {
  const std::string& path = request.path;
  if (path.rfind(kApi, 0) != 0) return std::nullopt;
  const std::string rest = path.substr(std::string(kApi).size());
  const std::string& m = request.method;
  const bool ours = rest == "volunteers" || rest.rfind("cutouts/", 0) == 0 ||
                    rest.rfind("reports/votes", 0) == 0 || rest == "export/classifications.csv" ||
                    rest.rfind("volunteers/", 0) == 0 ||
                    rest == "next" || rest == "classifications" || rest == "me";
  if (!ours) return std::nullopt;
  if (auto r = limited(per_address_, limits_.per_address, request.remote_address,
                         "from your address")) return r;

  if (rest == "volunteers") {
    if (m != "POST") return method_not_allowed("POST");
    return sign_up(request);
  }
  if (rest.rfind("cutouts/", 0) == 0) {
    if (m != "GET" && m != "HEAD") return method_not_allowed("GET, HEAD");
    return cutout(rest.substr(8));
  }
  if (rest == "reports/votes" || rest == "reports/votes.svg") {
    if (m != "GET" && m != "HEAD") return method_not_allowed("GET, HEAD");
    return report(request, rest.size() > 13);
  }
  if (rest == "export/classifications.csv") {
    if (m != "GET" && m != "HEAD") return method_not_allowed("GET, HEAD");
    return export_csv(request);
  }
  if (rest.rfind("volunteers/", 0) == 0) {
    if (m != "DELETE") return method_not_allowed("DELETE");
    return erase_volunteer(request, rest.substr(11));
  }
  if (rest != "next" && rest != "classifications" && rest != "me") return std::nullopt;

  auto who = authenticate(request);
  if (auto* denied = std::get_if<HttpResponse>(&who)) return *denied;
  const VolunteerRow& volunteer = std::get<VolunteerRow>(who);
  if (auto r = limited(per_volunteer_, limits_.per_volunteer, std::to_string(volunteer.id),
                         "for your account")) return r;
  if (rest == "next") {
    if (m != "GET") return method_not_allowed("GET");
    return next(volunteer, request);
  }
  if (rest == "classifications") {
    if (m != "POST") return method_not_allowed("POST");
    return classify(volunteer, request);
  }
  if (m == "GET") return me(volunteer);
  if (m == "DELETE") return delete_me(volunteer);
  return method_not_allowed("GET, DELETE");
}

std::optional<HttpResponse> VolunteerApi::limited(RateLimiter& limiter, double rate,
                                                  const std::string& key, const char* what) {
  if (!(rate > 0)) return std::nullopt;
  double retry = 0;
  if (limiter.allow(key, now_(), &retry)) return std::nullopt;
  const int seconds = std::max(1, int(std::ceil(retry)));
  HttpResponse r = HttpResponse::error(
      429, std::string("too many requests ") + what + "; please try again in " +
               std::to_string(seconds) + " s (a limit that protects the service, not a penalty)");
  r.extra_headers = "Retry-After: " + std::to_string(seconds) + "\r\n";
  return r;
}

std::variant<VolunteerRow, HttpResponse> VolunteerApi::authenticate(const HttpRequest& request) {
  auto unauthorised = [](const std::string& why) {
    HttpResponse r = HttpResponse::error(401, why);
    r.extra_headers = "WWW-Authenticate: Bearer\r\n";
    return r;
  };
  std::string token = bearer_token(request.authorization);
  if (token.empty())
    return unauthorised("sign in first: send Authorization: Bearer <your token>");
  auto v = service_.authenticate(token);
  if (!v) return from_status(v.status());
  if (!*v) return unauthorised("this token belongs to no volunteer (was the account deleted?)");
  return **v;
}

HttpResponse VolunteerApi::sign_up(const HttpRequest& request) {
  auto parsed = parse_sign_up(request.body);
  if (auto* bad = std::get_if<HttpResponse>(&parsed)) return *bad;
  const std::string& name = std::get<SignUpRequest>(parsed).display_name;
  // Only well-formed sign-ups count: they are the ones that create accounts.
  if (auto r = limited(signups_per_address_, limits_.signups_per_address_per_hour,
                       request.remote_address, "sign-ups from your address"))
    return *r;
  auto signup = service_.sign_up(name);
  if (!signup) return from_status(signup.status());
  nlohmann::ordered_json out;
  out["volunteer_id"] = signup->volunteer_id;
  out["display_name"] = signup->display_name;
  out["token"] = signup->token;
  out["note"] =
      "Keep this token: it is shown once and Blink stores only its hash. Use it to sign in "
      "on another device.";
  return HttpResponse::json(201, out);
}

HttpResponse VolunteerApi::next(const VolunteerRow& volunteer, const HttpRequest& request) {
  // ?exclude=<id>,<id>: what the volunteer skipped on this visit (each id
  // URL-encoded; at most 255 bytes in all, beyond which nothing is excluded).
  std::set<std::string> skipped;
  if (auto list = query_param(request.query, "exclude")) {
    size_t start = 0;
    while (start <= list->size()) {
      size_t end = list->find(',', start);
      if (end == std::string::npos) end = list->size();
      if (end > start) skipped.insert(list->substr(start, end - start));
      start = end + 1;
    }
  }
  auto j = service_.next(volunteer, skipped);
  if (!j) return from_status(j.status());
  return HttpResponse::json(200, *j);
}

HttpResponse VolunteerApi::classify(const VolunteerRow& volunteer, const HttpRequest& request) {
  auto parsed = parse_classification(request.body);
  if (auto* bad = std::get_if<HttpResponse>(&parsed)) return *bad;
  const ClassificationRequest& r = std::get<ClassificationRequest>(parsed);
  auto out = service_.classify(volunteer, r.candidate_id, r.answer, r.comment);
  if (!out) return from_status(out.status());
  return HttpResponse::json(201, *out);
}

HttpResponse VolunteerApi::me(const VolunteerRow& volunteer) {
  auto j = service_.me(volunteer);
  if (!j) return from_status(j.status());
  return HttpResponse::json(200, *j);
}

HttpResponse VolunteerApi::delete_me(const VolunteerRow& volunteer) {
  if (Status s = service_.delete_account(volunteer); !s) return from_status(s);
  nlohmann::ordered_json out;
  out["deleted"] = true;
  out["note"] = "Your name and token are gone; your votes stay, anonymised. Thank you.";
  return HttpResponse::json(200, out);
}

HttpResponse VolunteerApi::cutout(const std::string& path) {
  // <candidate id, percent-encoded>/<which>.png
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return HttpResponse::error(404, "no such cutout");
  auto id = decode_path_segment(std::string_view(path).substr(0, slash));
  std::string file = path.substr(slash + 1);
  if (!id || id->empty()) return HttpResponse::error(400, "bad candidate id in the cutout path");
  std::optional<CutoutKind> kind;
  if (file == "science.png") kind = CutoutKind::kScience;
  if (file == "reference.png") kind = CutoutKind::kReference;
  if (file == "difference.png") kind = CutoutKind::kDifference;
  if (!kind)
    return HttpResponse::error(404, "cutouts are science.png, reference.png or difference.png");
  auto png = service_.cutout_png(*id, *kind);
  if (!png) return from_status(png.status());
  // A candidate's stamps never change: let browsers keep them.
  return {200, "image/png", std::move(*png), "Cache-Control: public, max-age=86400\r\n"};
}

// The votes a report or export asks for: ?night=YYYY-MM-DD, or ?from=&to=
// in unix seconds; the 400 to send when malformed.
static std::variant<std::vector<ExportedVote>, HttpResponse> votes_asked(
    VolunteerService& service, const HttpRequest& request) {
  double from = 0, to = 0;
  auto night = query_param(request.query, "night");
  auto from_text = query_param(request.query, "from");
  auto to_text = query_param(request.query, "to");
  if (night) {
    if (!night_bounds(*night, from, to))
      return HttpResponse::error(400, "night must be a date, YYYY-MM-DD");
  } else if (from_text || to_text) {
    char* end = nullptr;
    from = from_text ? std::strtod(from_text->c_str(), &end) : 0;
    if (from_text && (from_text->empty() || *end != '\0' || !std::isfinite(from)))
      return HttpResponse::error(400, "from must be unix seconds");
    to = to_text ? std::strtod(to_text->c_str(), &end) : 1e12;
    if (to_text && (to_text->empty() || *end != '\0' || !std::isfinite(to)))
      return HttpResponse::error(400, "to must be unix seconds");
  } else {
    return HttpResponse::error(400, "say which votes: ?night=YYYY-MM-DD or ?from=&to= (unix s)");
  }
  auto votes = service.votes_between(from, to);
  if (!votes) return from_status(votes.status());
  return std::move(*votes);
}

HttpResponse VolunteerApi::report(const HttpRequest& request, bool svg) {
  auto votes = votes_asked(service_, request);
  if (auto* bad = std::get_if<HttpResponse>(&votes)) return *bad;
  auto j = vote_report(std::get<std::vector<ExportedVote>>(votes));
  if (svg) return {200, "image/svg+xml", vote_report_svg(j), ""};
  return HttpResponse::json(200, j);
}

std::optional<HttpResponse> VolunteerApi::operator_denied(const HttpRequest& request) const {
  if (operator_token_.empty())
    return HttpResponse::error(403, "this endpoint is for operators: set http.operator_token");
  if (!same_secret(bearer_token(request.authorization), operator_token_)) {
    HttpResponse r = HttpResponse::error(401, "operator endpoint: missing or wrong Bearer token");
    r.extra_headers = "WWW-Authenticate: Bearer\r\n";
    return r;
  }
  return std::nullopt;
}

HttpResponse VolunteerApi::erase_volunteer(const HttpRequest& request, const std::string& id) {
  if (auto denied = operator_denied(request)) return *denied;
  if (id.empty() || id.size() > 18 || id.find_first_not_of("0123456789") != std::string::npos)
    return HttpResponse::error(400, "a volunteer id is a number");
  if (Status s = service_.erase_volunteer(std::stoll(id)); !s) return from_status(s);
  nlohmann::ordered_json out;
  out["volunteer_id"] = std::stoll(id);
  out["erased"] = true;
  out["note"] = "display name and token removed; their votes stay, anonymised";
  return HttpResponse::json(200, out);
}

HttpResponse VolunteerApi::export_csv(const HttpRequest& request) {
  if (auto denied = operator_denied(request)) return *denied;
  auto votes = votes_asked(service_, request);
  if (auto* bad = std::get_if<HttpResponse>(&votes)) return *bad;
  return {200, "text/csv; charset=utf-8",
          classifications_csv(std::get<std::vector<ExportedVote>>(votes), BLINK_VERSION),
          "Content-Disposition: attachment; filename=\"blink-classifications.csv\"\r\n"};
}

}  // namespace blink
