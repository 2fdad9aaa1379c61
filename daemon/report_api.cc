#include "report_api.h"

#include <cmath>
#include <ctime>

#include "http_query.h"
#include "night_report.h"
#include "vote_report.h"

namespace blink {

std::string night_of(double unix_seconds) {
  std::time_t t = std::time_t(std::floor(unix_seconds - 12 * 3600));
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

std::optional<HttpResponse> ReportApi::handle(const HttpRequest& request) {
  const bool html = request.path == "/reports/night";
  if (!html && request.path != "/api/v1/reports/night") return std::nullopt;
  if (request.method != "GET" && request.method != "HEAD") {
    HttpResponse r = HttpResponse::error(405, "allowed here: GET, HEAD");
    r.extra_headers = "Allow: GET, HEAD\r\n";
    return r;
  }
  std::string night = query_param(request.query, "night").value_or(night_of(now_()));
  double from = 0, to = 0;
  if (!night_bounds(night, from, to))
    return HttpResponse::error(400, "night must be a date, YYYY-MM-DD");
  auto data = store_.night_data(from, to);
  if (!data) return HttpResponse::error(500, data.status().message());
  auto votes = volunteers_.votes_between(from, to);
  if (!votes) return HttpResponse::error(500, votes.status().message());
  auto vote_json = vote_report(*votes);
  auto summary = night_summary(*data, vote_json);
  if (!html) {
    summary["night"] = night;
    return HttpResponse::json(200, summary);
  }
  return HttpResponse{200, "text/html; charset=utf-8",
                      night_report_html(night, *data, summary, vote_report_svg(vote_json)), ""};
}

}  // namespace blink
