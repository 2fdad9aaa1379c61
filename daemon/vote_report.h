// What a night of volunteer votes looks like, for operators and for the
// volunteers themselves: the Zooniverse-style classification export (CSV, one
// row per vote, subject metadata as JSON), and the night's report (vote
// distributions as percentages and stacked bars, agreement between
// volunteers and with the verdicts, and a Dawid-Skene estimate over the same
// votes as a check on the live SWAP posteriors). Pure functions of the votes.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "review_store.h"

namespace blink {

// The export: classification_id, user_name, user_id, workflow_name,
// workflow_version, created_at, gold_standard, metadata, annotations,
// subject_data, subject_ids (RFC 4180 quoting). Deleted volunteers appear
// as "deleted-<id>" with their votes.
std::string classifications_csv(const std::vector<ExportedVote>& votes,
                                 const std::string& workflow_version);

// The report as JSON (see README "Night report of votes").
nlohmann::ordered_json vote_report(const std::vector<ExportedVote>& votes);

// The report's stacked bars as a self-contained SVG.
std::string vote_report_svg(const nlohmann::ordered_json& report);

// [from, to) unix seconds of night YYYY-MM-DD: the 24 hours from 12:00 UTC
// that day (one observing night at most longitudes). False when malformed.
bool night_bounds(const std::string& night, double& from_unix, double& to_unix);

}  // namespace blink
