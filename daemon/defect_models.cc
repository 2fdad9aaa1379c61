#include "defect_models.h"

#include "log.h"
#include "spool.h"

namespace blink {
namespace fs = std::filesystem;

DefectModels::DefectModels(fs::path dir, int save_every)
    : dir_(std::move(dir)), save_every_(save_every) {}

fs::path DefectModels::file_of(int ccd) const {
  return dir_ / ("ccd-" + std::to_string(ccd) + ".bpm");
}

void DefectModels::load_all() {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  std::lock_guard lock(mutex_);
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("ccd-", 0) != 0 || entry.path().extension() != ".bpm") continue;
    int ccd = std::atoi(name.c_str() + 4);
    auto bytes = read_whole_file(entry.path());
    auto model = bytes ? BadPixelModel::deserialize(*bytes) : Result<BadPixelModel>(bytes.status());
    if (!model) {
      log_warning("bad-pixel model not loaded " + kv("file", entry.path().string()) + " " +
                  kv("message", model.status().message()));
      continue;
    }
    log_info("bad-pixel model loaded " + kv("ccd", ccd) + " " +
             kv("exposures", model->exposures()));
    models_[ccd] = {std::move(model).value(), 0};
  }
}

std::optional<Mask> DefectModels::mask(int ccd, int width, int height) const {
  std::lock_guard lock(mutex_);
  auto it = models_.find(ccd);
  if (it == models_.end() || it->second.model.width() != width ||
      it->second.model.height() != height)
    return std::nullopt;
  return it->second.model.mask();
}

void DefectModels::observe(int ccd, const DefectObservation& seen) {
  if (seen.width <= 0 || seen.height <= 0) return;
  std::lock_guard lock(mutex_);
  auto it = models_.find(ccd);
  if (it == models_.end() || it->second.model.width() != seen.width ||
      it->second.model.height() != seen.height)
    it = models_.insert_or_assign(ccd, Entry{BadPixelModel(seen.width, seen.height), 0}).first;
  it->second.model.observe(seen);
  if (++it->second.unsaved >= save_every_) {
    if (Status s = save_locked(ccd, it->second); !s)
      log_warning("cannot save the bad-pixel model: " + s.message());
  }
}

Status DefectModels::save_locked(int ccd, Entry& entry) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (Status s = write_file_atomically(file_of(ccd), entry.model.serialize()); !s) return s;
  entry.unsaved = 0;
  return Status::ok();
}

Status DefectModels::save_all() {
  std::lock_guard lock(mutex_);
  Status first;
  for (auto& [ccd, entry] : models_) {
    if (entry.unsaved == 0) continue;
    if (Status s = save_locked(ccd, entry); !s && first) first = s;
  }
  return first;
}

}  // namespace blink
