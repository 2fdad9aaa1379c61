// Which real/bogus model blinkd scores with: the configured file
// (scoring.model), the model shipped with Blink when none is configured,
// or the heuristic ("heuristic", or when loading fails: logged).
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "realbogus_model.h"

namespace blink {

inline constexpr const char* kHeuristicModelSetting = "heuristic";
inline constexpr const char* kDefaultModelFile = "realbogus-default.json";

// The shipped model: models/ of the source tree blinkd was built from, else
// ../share/blink/models next to the binary, else /usr/share/blink/models.
// Empty when none of them has it.
std::filesystem::path default_model_path();

// The model for `setting` (Config::scoring.model), or null for the
// heuristic. Logs what it loaded, or why it fell back to the heuristic.
// With an empty setting, `retrained` (a model blinkd swapped in itself) comes
// before the shipped one when that file exists.
std::shared_ptr<const RealBogusModel> load_scoring_model(const std::string& setting,
                                                         const std::string& retrained = "");

// The version stamped on candidates scored with `model` (null: the heuristic).
std::string scoring_model_version(const RealBogusModel* model);

}  // namespace blink
