// The night report: one page a person reads at a glance after (or during) a
// night — exposures and rejections, candidates by route, end-to-end latency
// against the 60-second budget, completeness on injected fakes against
// magnitude, difference-image noise, and the volunteers' vote distributions —
// as SVG plots Blink draws itself (plot/), in one self-contained HTML file
// that is also the static export. Pure functions of the night's data.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "store.h"

namespace blink {

inline constexpr double kLatencyBudgetSeconds = 60;  // Rubin's alert promise

// The figures behind the page, as JSON (GET /api/v1/reports/night).
// `votes` is vote_report()'s output for the same window.
nlohmann::ordered_json night_summary(const NightData& night, const nlohmann::ordered_json& votes);

// The page (GET /reports/night). `vote_svg` is vote_report_svg() of `votes`.
std::string night_report_html(const std::string& night_label, const NightData& night,
                              const nlohmann::ordered_json& summary,
                              const std::string& vote_svg);

}  // namespace blink
