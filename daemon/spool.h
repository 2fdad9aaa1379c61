// The files under state.dir besides the database:
//   spool/<exposure_id>.fits          payloads accepted and not yet done
//   references/<field>_<band>_<ccd>.fits   the current reference of each key
//   quarantine/<UTC time>_<id>.{json,fits}  copies of rejected input, bounded
// Writes that make an exposure "accepted" are durable (file and folder fsync'd)
// before they return. This file is the one place that turns errno into Status.
// Thread-safe: distinct exposure ids may be written from different threads;
// quarantine writes and pruning are serialised internally.
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "status.h"

namespace blink {

// Writes `bytes` to `path` durably and atomically: a temporary file beside
// it, fsync, rename over `path`, fsync of the folder.
Status write_file_atomically(const std::filesystem::path& path, std::span<const uint8_t> bytes);
// The whole file.
Result<std::vector<uint8_t>> read_whole_file(const std::filesystem::path& path);

// Owns nothing but paths; the files are the state.
class Spool {
 public:
  // `state_dir` is created with its sub-folders by init().
  Spool(std::filesystem::path state_dir, int64_t quarantine_max_bytes);

  Status init();
  const std::filesystem::path& state_dir() const { return state_dir_; }
  std::filesystem::path spool_path(const std::string& exposure_id) const;
  // references/<field>_<band>_<ccd>.fits; '_' inside a name is written "%5F"
  // so that different keys never share a file.
  std::filesystem::path reference_path(const std::string& field, const std::string& band,
                                       int ccd) const;

  // Writes spool/<id>.fits durably (temporary file, fsync, rename, fsync of the folder).
  Status write_spooled(const std::string& exposure_id, std::span<const uint8_t> bytes);
  Result<std::vector<uint8_t>> read(const std::filesystem::path& path) const {
    return read_whole_file(path);
  }
  // Removes the spool file if it exists.
  Status remove_spooled(const std::string& exposure_id);
  // Atomically replaces `to` with spool/<id>.fits (rename + fsync of both folders).
  Status move_spooled(const std::string& exposure_id, const std::filesystem::path& to);
  // Exposure ids that have a spool file.
  std::vector<std::string> spooled_ids() const;

  // Stores `envelope_text` and `payload` under quarantine/, named by the
  // current UTC time and `name_hint` (sanitised), then prunes the oldest files
  // until the folder is within its bound. Returns the base name used.
  Result<std::string> quarantine(const std::string& name_hint, std::string_view envelope_text,
                                 std::span<const uint8_t> payload);
  int64_t quarantine_bytes() const;

 private:
  void prune_quarantine_locked();
  std::filesystem::path state_dir_;
  std::filesystem::path spool_dir_, references_dir_, quarantine_dir_;
  int64_t quarantine_max_bytes_;
  mutable std::mutex quarantine_mutex_;
  uint64_t quarantine_counter_ = 0;
};

}  // namespace blink
