#include "fitsh_runner.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "fits_io.h"

extern char** environ;

namespace blink::bench {
namespace fs = std::filesystem;
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// A scratch directory removed with everything in it when this goes away.
class ScratchDir {
 public:
  static Result<ScratchDir> make(const std::string& parent) {
    std::string base = parent;
    if (base.empty()) base = std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp";
    std::string pattern = base + "/blink-fitsh-XXXXXX";
    if (!mkdtemp(pattern.data())) return Status::io_error("mkdtemp " + pattern + ": " + std::strerror(errno));
    return ScratchDir(pattern);
  }
  ScratchDir(ScratchDir&& o) noexcept : path_(std::move(o.path_)), keep_(o.keep_) { o.path_.clear(); }
  ScratchDir(const ScratchDir&) = delete;
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty() && !keep_) fs::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  // Leaves the directory in place when this goes away.
  void keep() { keep_ = true; }
  const std::string& path() const { return path_; }

 private:
  explicit ScratchDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
  bool keep_ = false;
};

Status write_image(const std::string& path, const Image& image) {
  Image clean = image;
  for (float& v : clean.pixels)
    if (!std::isfinite(v)) v = 0;
  auto bytes = encode_fits(clean, {});
  if (!bytes) return bytes.status();
  return write_file(path, *bytes);
}

// ficonv reads "x y half-size" per line and fits pixel column int(x): its
// pixel i covers [i, i+1), so Blink's centre x is fitsh's x + 0.5.
Status write_stamps(const std::string& path, const std::vector<Stamp>& stamps) {
  std::ofstream out(path);
  for (const Stamp& s : stamps) out << s.x + 0.5 << ' ' << s.y + 0.5 << ' ' << s.half_size << '\n';
  out.close();
  return out ? Status::ok() : Status::io_error("writing " + path);
}

struct ChildRun {
  int exit_code = -1;
  long max_rss_kb = 0;
};

// The VmHWM line of /proc/<pid>/status in kB, 0 when unreadable.
long peak_rss_kb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);
  return 0;
}

// Runs argv[0] with stdout and stderr sent to `log`. Its peak memory is
// sampled from /proc every 10 ms while it runs: wait4()'s ru_maxrss would
// not do, as Linux carries the spawning process's own peak into a child
// across exec, and this process is far larger than ficonv.
Result<ChildRun> run_child(const std::vector<std::string>& argv, const std::string& log) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return Status::unavailable("starting " + argv[0] + ": " + std::strerror(rc));
  ChildRun out;
  int status = 0;
  for (;;) {
    out.max_rss_kb = std::max(out.max_rss_kb, peak_rss_kb(pid));
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) return Status::internal(std::string("waitpid: ") + std::strerror(errno));
    usleep(10000);
  }
  out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return out;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

std::optional<std::string> find_on_path(const std::string& program) {
  if (program.find('/') != std::string::npos)
    return access(program.c_str(), X_OK) == 0 ? std::optional(program) : std::nullopt;
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

std::string fast_kernel_spec(double science_fwhm, double reference_fwhm) {
  const double s_sci = science_fwhm / 2.3548, s_ref = reference_fwhm / 2.3548;
  const double s_kernel = std::sqrt(std::max(s_sci * s_sci - s_ref * s_ref, 1.0));
  const int half = std::clamp(int(std::ceil(3 * s_kernel)), 3, 8);
  return "i/1;d=" + std::to_string(half) + "/1";
}

int kernel_half_size(const std::string& spec) {
  int half = 0;
  for (size_t i = 0; i + 1 < spec.size(); ++i)
    if ((spec[i] == 'd' || spec[i] == 'g') && spec[i + 1] == '=' && (i == 0 || spec[i - 1] == ';'))
      half = std::max(half, std::atoi(spec.c_str() + i + 2));
  return half;
}

Result<FitshSubtraction> run_ficonv(const Image& science, const Image& reference,
                                    const std::vector<Stamp>& stamps, const FitshConfig& config) {
  if (science.width != reference.width || science.height != reference.height)
    return Status::invalid("ficonv: science and reference sizes differ");
  if (stamps.empty()) return Status::invalid("ficonv: no stamp to fit the kernel on");
  const auto t0 = std::chrono::steady_clock::now();
  auto dir_r = ScratchDir::make(config.temp_parent);
  if (!dir_r) return dir_r.status();
  ScratchDir& dir = *dir_r;
  const std::string sci = dir.file("science.fits"), ref = dir.file("reference.fits"),
                    stamp_file = dir.file("stamps.txt"), kernel = dir.file("kernel.txt"),
                    diff = dir.file("difference.fits"), log = dir.file("ficonv.log");
  if (Status s = write_image(sci, science); !s) return s.with_context("ficonv input");
  if (Status s = write_image(ref, reference); !s) return s.with_context("ficonv reference");
  if (Status s = write_stamps(stamp_file, stamps); !s) return s;

  FitshSubtraction out;
  if (config.keep_files) dir.keep(), out.kept_dir = dir.path();
  out.argv = {config.ficonv,
              "-r", ref,
              "-i", sci,
              "-k", config.kernel_spec,
              "--input-stamps", stamp_file,
              "-n", std::to_string(config.iterations),
              "-s", (std::ostringstream() << config.rejection_sigma).str(),
              "--output-kernel-list", kernel,
              "--output-subtracted", diff};
  const auto t_child = std::chrono::steady_clock::now();
  auto child = run_child(out.argv, log);
  out.ficonv_seconds = seconds_since(t_child);
  if (!child) return child.status();
  out.max_rss_kb = child->max_rss_kb;
  if (child->exit_code != 0) {
    std::string msg = read_text(log);
    if (msg.size() > 400) msg = msg.substr(msg.size() - 400);
    return Status::internal("ficonv exited with " + std::to_string(child->exit_code) + ": " + msg);
  }
  auto kernel_r = parse_kernel_list(read_text(kernel));
  if (!kernel_r) return kernel_r.status();
  out.kernel = std::move(kernel_r).value();
  auto diff_r = read_fits_file(diff);
  if (!diff_r) return diff_r.status().with_context("reading ficonv's difference");
  out.diff = std::move(diff_r->image);
  if (out.diff.width != science.width || out.diff.height != science.height)
    return Status::corrupt("ficonv's difference has another size than its input");
  out.seconds = seconds_since(t0);
  return out;
}

}  // namespace blink::bench
