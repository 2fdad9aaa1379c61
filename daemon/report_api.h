// The night report over HTTP (pure request -> response, like VolunteerApi):
//   GET /reports/night?night=YYYY-MM-DD          the page (self-contained HTML)
//   GET /api/v1/reports/night?night=YYYY-MM-DD   its figures as JSON
// Without ?night the current night (the 24 h from the last 12:00 UTC).
#pragma once

#include <functional>
#include <optional>

#include "http_types.h"
#include "store.h"
#include "volunteer_service.h"

namespace blink {

class ReportApi {
 public:
  ReportApi(SqliteStore& store, VolunteerService& volunteers,
            std::function<double()> now = unix_now)
      : store_(store), volunteers_(volunteers), now_(std::move(now)) {}
  std::optional<HttpResponse> handle(const HttpRequest& request);

 private:
  SqliteStore& store_;
  VolunteerService& volunteers_;
  std::function<double()> now_;
};

// The night (YYYY-MM-DD) that `unix_seconds` falls in: the date of the last 12:00 UTC.
std::string night_of(double unix_seconds);

}  // namespace blink
