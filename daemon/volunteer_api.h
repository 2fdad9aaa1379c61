// The volunteers' HTTP API (JSON over HTTP, versioned paths; README "HTTP API"):
//   POST   /api/v1/volunteers            {"display_name"} -> 201 {volunteer_id, display_name, token}
//   GET    /api/v1/next[?exclude=id,id]  -> {"subject": {...} | null, "message"}; exclude: skipped
//   POST   /api/v1/classifications       {"candidate_id", "answer", "comment"} -> 201
//   GET    /api/v1/me                    history, skill in words, discoveries
//   DELETE /api/v1/me                    forgets the volunteer; votes stay, anonymised
//   GET    /api/v1/cutouts/<id>/<science|reference|difference>.png   no token needed
//   GET    /api/v1/reports/votes?night=YYYY-MM-DD       the night's vote report (JSON)
//   GET    /api/v1/reports/votes.svg?night=YYYY-MM-DD   its stacked bars
//   GET    /api/v1/export/classifications.csv?night=YYYY-MM-DD | ?from=&to= (unix s)
//          operator only: "Authorization: Bearer <http.operator_token>"
// next, classifications and me need "Authorization: Bearer <volunteer token>".
// Rate limits (429 with Retry-After, never a ban; http.rate_limit_*): per
// client address and per volunteer, requests per second with a burst of three
// seconds' worth, and sign-ups per address per hour (burst 5).
// Pure request -> response over a VolunteerService: no sockets here.
#pragma once

#include <functional>
#include <optional>

#include "http_types.h"
#include "rate_limiter.h"
#include "volunteer_requests.h"
#include "volunteer_service.h"

namespace blink {

// Requests per second (sign-ups per hour); 0 turns a limit off.
struct RateLimits {
  double per_address = 20;
  double per_volunteer = 10;
  double signups_per_address_per_hour = 10;
};

class VolunteerApi {
 public:
  // `operator_token` guards the export; empty refuses it.
  explicit VolunteerApi(VolunteerService& service, std::string operator_token = "",
                        RateLimits limits = {}, std::function<double()> now = unix_now)
      : service_(service),
        operator_token_(std::move(operator_token)),
        limits_(limits),
        now_(std::move(now)),
        per_address_(limits.per_address, 3 * limits.per_address),
        signups_per_address_(limits.signups_per_address_per_hour / 3600, 5),
        per_volunteer_(limits.per_volunteer, 3 * limits.per_volunteer) {}
  // The response when `request` is one of this API's paths; nullopt otherwise.
  std::optional<HttpResponse> handle(const HttpRequest& request);

 private:
  HttpResponse sign_up(const HttpRequest& request);
  HttpResponse next(const VolunteerRow& volunteer, const HttpRequest& request);
  HttpResponse classify(const VolunteerRow& volunteer, const HttpRequest& request);
  HttpResponse me(const VolunteerRow& volunteer);
  HttpResponse delete_me(const VolunteerRow& volunteer);
  HttpResponse cutout(const std::string& path);
  HttpResponse report(const HttpRequest& request, bool svg);
  HttpResponse export_csv(const HttpRequest& request);
  // DELETE /api/v1/volunteers/<id> (operators): an erasure request handled for a volunteer.
  HttpResponse erase_volunteer(const HttpRequest& request, const std::string& id);
  // The 401/403 for a request without the operator token, or nothing.
  std::optional<HttpResponse> operator_denied(const HttpRequest& request) const;
  // The volunteer behind the request's token, or the 401 to send.
  std::variant<VolunteerRow, HttpResponse> authenticate(const HttpRequest& request);

  // The 429 to send when `limiter` (enabled when `rate` > 0) refuses `key`.
  std::optional<HttpResponse> limited(RateLimiter& limiter, double rate, const std::string& key,
                                      const char* what);

  VolunteerService& service_;
  std::string operator_token_;
  RateLimits limits_;
  std::function<double()> now_;
  RateLimiter per_address_;
  RateLimiter signups_per_address_;
  RateLimiter per_volunteer_;
};

}  // namespace blink
