// Each detector's defects (hot pixels, warm columns) learned from the stream:
// one BadPixelModel per ccd, since defects belong to the detector whatever
// field it looks at. Workers take the current mask before subtracting and
// report what the exposure showed afterwards. Models are saved under
// state/defects/ every few exposures and at shutdown, and loaded at start-up;
// losing the last few observations in a crash costs nothing but learning time.
// Thread-safe.
#pragma once

#include <filesystem>
#include <map>
#include <mutex>
#include <optional>

#include "bad_pixels.h"
#include "image.h"
#include "status.h"

namespace blink {

// Owns the models, one per ccd, behind one mutex.
class DefectModels {
 public:
  // `dir` is created if needed. A model is saved after every `save_every` observations.
  explicit DefectModels(std::filesystem::path dir, int save_every = 10);

  // Loads every saved model; unreadable ones are logged and skipped.
  void load_all();
  // The bad-pixel mask of `ccd` for an image of width x height, or nullopt
  // when nothing is known yet for that size.
  std::optional<Mask> mask(int ccd, int width, int height) const;
  // Counts one exposure's defects (a detector whose image size changed starts over).
  void observe(int ccd, const DefectObservation& seen);
  Status save_all();

 private:
  struct Entry {
    BadPixelModel model;
    int unsaved = 0;
  };
  std::filesystem::path file_of(int ccd) const;
  Status save_locked(int ccd, Entry& entry);

  std::filesystem::path dir_;
  int save_every_;
  mutable std::mutex mutex_;
  std::map<int, Entry> models_;
};

}  // namespace blink
