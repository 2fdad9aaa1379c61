#include "scoring_model.h"

#include <cstring>

#include "log.h"
#include "realbogus.h"

namespace blink {

namespace fs = std::filesystem;

fs::path default_model_path() {
  std::vector<fs::path> candidates;
  if (std::strlen(BLINK_SOURCE_MODELS_DIR) > 0) candidates.emplace_back(BLINK_SOURCE_MODELS_DIR);
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) candidates.push_back(exe.parent_path().parent_path() / "share" / "blink" / "models");
  candidates.emplace_back("/usr/share/blink/models");
  for (const fs::path& c : candidates)
    if (fs::is_regular_file(c / kDefaultModelFile, ec)) return c / kDefaultModelFile;
  return {};
}

std::shared_ptr<const RealBogusModel> load_scoring_model(const std::string& setting,
                                                         const std::string& retrained) {
  if (setting == kHeuristicModelSetting) {
    log_info(std::string("real/bogus: scoring.model = \"heuristic\": using ") +
             kv("model", kHeuristicRealBogusVersion));
    return nullptr;
  }
  std::string path = setting;
  std::error_code ec;
  if (path.empty() && !retrained.empty() && fs::is_regular_file(retrained, ec)) path = retrained;
  if (path.empty()) {
    path = default_model_path().string();
    if (path.empty()) {
      log_warning(std::string("real/bogus: no model configured and the shipped ") +
                  kDefaultModelFile + " was not found (source tree, ../share/blink/models, " +
                  "/usr/share/blink/models); falling back to " +
                  kv("model", kHeuristicRealBogusVersion));
      return nullptr;
    }
  }
  auto model = RealBogusModel::load(path);
  if (!model) {
    log_error("real/bogus: cannot load the model, falling back to " +
              kv("model", kHeuristicRealBogusVersion) + ": " + model.status().message());
    return nullptr;
  }
  log_info("real/bogus: loaded " + kv("model", (*model)->version()) + " " + kv("path", path));
  return *model;
}

std::string scoring_model_version(const RealBogusModel* model) {
  return model ? model->version() : kHeuristicRealBogusVersion;
}

}  // namespace blink
