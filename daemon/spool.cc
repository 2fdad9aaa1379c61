#include "spool.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>

#include "envelope.h"

namespace blink {
namespace fs = std::filesystem;
namespace {

Status errno_status(const std::string& doing, int err = errno) {
  std::string msg = doing + ": " + std::strerror(err);
  if (err == ENOENT) return Status::not_found(msg);
  return Status::io_error(msg);
}

Status fsync_dir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_status("opening folder " + dir.string());
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return errno_status("syncing folder " + dir.string(), err);
  return Status::ok();
}

// Writes all of `bytes` to `path` (created or truncated) and fsyncs it.
Status write_file_synced(const fs::path& path, std::span<const uint8_t> bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return errno_status("creating " + path.string());
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return errno_status("writing " + path.string(), err);
    }
    done += size_t(n);
  }
  if (::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    return errno_status("syncing " + path.string(), err);
  }
  if (::close(fd) != 0) return errno_status("closing " + path.string());
  return Status::ok();
}

std::string escape_underscores(const std::string& name) {
  std::string out;
  for (char c : name) out += (c == '_') ? std::string("%5F") : std::string(1, c);
  return out;
}

std::string utc_stamp() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t secs = std::time_t(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d%02d%02dT%02d%02d%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, int(ms % 1000));
  return buf;
}

}  // namespace

Spool::Spool(fs::path state_dir, int64_t quarantine_max_bytes)
    : state_dir_(std::move(state_dir)),
      spool_dir_(state_dir_ / "spool"),
      references_dir_(state_dir_ / "references"),
      quarantine_dir_(state_dir_ / "quarantine"),
      quarantine_max_bytes_(quarantine_max_bytes) {}

Status Spool::init() {
  for (const fs::path& dir : {state_dir_, spool_dir_, references_dir_, quarantine_dir_}) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return Status::io_error("creating folder " + dir.string() + ": " + ec.message());
    if (::access(dir.c_str(), W_OK) != 0)
      return errno_status("folder " + dir.string() + " is not writable");
  }
  // Temporary files of writes interrupted by a crash.
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(spool_dir_, ec))
    if (entry.path().extension() == ".tmp") fs::remove(entry.path(), ec);
  return Status::ok();
}

fs::path Spool::spool_path(const std::string& exposure_id) const {
  return spool_dir_ / (exposure_id + ".fits");
}

fs::path Spool::reference_path(const std::string& field, const std::string& band, int ccd) const {
  return references_dir_ / (escape_underscores(field) + "_" + escape_underscores(band) + "_" +
                            std::to_string(ccd) + ".fits");
}

Status write_file_atomically(const fs::path& path, std::span<const uint8_t> bytes) {
  fs::path tmp = path;
  tmp += ".tmp";
  if (Status s = write_file_synced(tmp, bytes); !s) {
    ::unlink(tmp.c_str());
    return s;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Status s = errno_status("renaming " + tmp.string());
    ::unlink(tmp.c_str());
    return s;
  }
  return fsync_dir(path.parent_path());
}

Result<std::vector<uint8_t>> read_whole_file(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_status("opening " + path.string());
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return errno_status("reading size of " + path.string(), err);
  }
  std::vector<uint8_t> bytes(size_t(st.st_size));
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : EIO;
      ::close(fd);
      return errno_status("reading " + path.string(), err);
    }
    done += size_t(n);
  }
  ::close(fd);
  return bytes;
}

Status Spool::write_spooled(const std::string& exposure_id, std::span<const uint8_t> bytes) {
  return write_file_atomically(spool_path(exposure_id), bytes);
}

Status Spool::remove_spooled(const std::string& exposure_id) {
  fs::path p = spool_path(exposure_id);
  if (::unlink(p.c_str()) != 0 && errno != ENOENT) return errno_status("removing " + p.string());
  return Status::ok();
}

Status Spool::move_spooled(const std::string& exposure_id, const fs::path& to) {
  fs::path from = spool_path(exposure_id);
  if (::rename(from.c_str(), to.c_str()) != 0)
    return errno_status("moving " + from.string() + " to " + to.string());
  if (Status s = fsync_dir(to.parent_path()); !s) return s;
  return fsync_dir(spool_dir_);
}

std::vector<std::string> Spool::spooled_ids() const {
  std::vector<std::string> ids;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(spool_dir_, ec)) {
    if (entry.path().extension() != ".fits") continue;
    std::string id = entry.path().stem().string();
    if (is_safe_name(id)) ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

Result<std::string> Spool::quarantine(const std::string& name_hint, std::string_view envelope_text,
                                      std::span<const uint8_t> payload) {
  std::lock_guard lock(quarantine_mutex_);
  if (quarantine_max_bytes_ <= 0) return std::string();
  char counter[8];
  std::snprintf(counter, sizeof counter, "%03u", unsigned(quarantine_counter_++ % 1000));
  std::string base = utc_stamp() + "-" + counter + "_" + sanitize_name(name_hint);
  auto text = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(envelope_text.data()),
                                       envelope_text.size());
  if (Status s = write_file_synced(quarantine_dir_ / (base + ".json"), text); !s) return s;
  if (!payload.empty()) {
    if (Status s = write_file_synced(quarantine_dir_ / (base + ".fits"), payload); !s) return s;
  }
  prune_quarantine_locked();
  return base;
}

int64_t Spool::quarantine_bytes() const {
  std::lock_guard lock(quarantine_mutex_);
  int64_t total = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(quarantine_dir_, ec))
    if (entry.is_regular_file(ec)) total += int64_t(entry.file_size(ec));
  return total;
}

void Spool::prune_quarantine_locked() {
  struct Entry {
    fs::path path;
    int64_t size;
  };
  std::vector<Entry> entries;
  int64_t total = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(quarantine_dir_, ec)) {
    if (!entry.is_regular_file(ec)) continue;
    int64_t size = int64_t(entry.file_size(ec));
    entries.push_back({entry.path(), size});
    total += size;
  }
  if (total <= quarantine_max_bytes_) return;
  // Names start with the UTC time, so name order is age order.
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.path < b.path; });
  for (const Entry& e : entries) {
    if (total <= quarantine_max_bytes_) break;
    if (fs::remove(e.path, ec)) total -= e.size;
  }
}

}  // namespace blink
