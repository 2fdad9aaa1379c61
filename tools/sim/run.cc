#include "run.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <thread>

#include "fits_io.h"

namespace blink::sim {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

int count_kind_prefix(const SimExposure& e, std::string_view prefix) {
  int n = 0;
  for (const TruthRow& r : e.truth)
    n += std::string_view(r.kind).substr(0, prefix.size()) == prefix;
  return n;
}

// One exposure, rendered and encoded, ready to send.
struct Rendered {
  std::string id, kind, envelope;
  std::vector<uint8_t> fits;
  double seeing_fwhm_px = 0, render_s = 0;
  int transients = 0;
};

}  // namespace

Status run_survey(SurveySimulator& sim, const RunOptions& options, ExposureSink* sink,
                  std::ostream& log, RunSummary& summary, const std::atomic<bool>* stop) {
  const auto start = Clock::now();
  summary = RunSummary{};
  std::ofstream truth;
  if (!options.truth_path.empty()) {
    truth.open(options.truth_path, std::ios::trunc);
    if (!truth) return Status::io_error("cannot create truth file " + options.truth_path);
    write_truth_header(truth);
  }
  if (!options.out_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(options.out_dir, ec);
    if (ec)
      return Status::io_error("cannot create folder " + options.out_dir + ": " + ec.message());
  }
  const bool need_fits = sink != nullptr || !options.out_dir.empty();
  const int total = sim.total_exposures();
  SimExposure e;

  // Renders the next exposure, writes its file and truth, and counts it.
  auto render = [&](Rendered& r) -> Status {
    const auto t0 = Clock::now();
    if (!sim.next(e)) return sim.status();
    r.fits.clear();
    if (need_fits) {
      auto bytes = to_fits(e);
      if (!bytes) return bytes.status();
      r.fits = std::move(*bytes);
    }
    r.render_s = seconds_since(t0);
    r.id = e.exposure_id;
    r.kind = e.kind;
    r.envelope = envelope_json(e);
    r.seeing_fwhm_px = e.seeing_fwhm_px;
    r.transients = count_kind_prefix(e, "transient");
    if (!options.out_dir.empty()) {
      const std::string path =
          (std::filesystem::path(options.out_dir) / (e.exposure_id + ".fits")).string();
      if (Status s = write_file(path, r.fits); !s) return s;
    }
    if (truth.is_open()) {
      write_truth_rows(truth, e);
      truth.flush();
      if (!truth) return Status::io_error("writing truth file " + options.truth_path);
    }
    summary.transients += r.transients;
    summary.variables += count_kind_prefix(e, kKindVariable);
    summary.moving += count_kind_prefix(e, kKindMoving);
    summary.truth_rows += e.truth.size();
    summary.fits_bytes += r.fits.size();
    summary.render_s += r.render_s;
    return Status::ok();
  };

  // Rendering ahead keeps the simulator off the CPU while the receiver works
  // (latency benchmarks); it holds every exposure's FITS bytes in memory.
  std::vector<Rendered> ahead;
  if (options.render_ahead) {
    ahead.resize(size_t(total));
    for (int i = 0; i < total; ++i) {
      if (stop && stop->load()) return Status::unavailable("interrupted");
      if (Status s = render(ahead[size_t(i)]); !s) return s;
      if (!options.quiet)
        log << "rendered " << i + 1 << "/" << total << " " << ahead[size_t(i)].id << "\n"
            << std::flush;
    }
  }

  Clock::time_point last_send{};
  bool sent_any = false;
  Rendered one;
  for (int i = 0; i < total; ++i) {
    if (stop && stop->load()) return Status::unavailable("interrupted");
    Rendered& r = options.render_ahead ? ahead[size_t(i)] : one;
    if (!options.render_ahead)
      if (Status s = render(r); !s) return s;

    // Science exposures come one interval after whatever was sent before them,
    // references included, so that a first science exposure does not queue
    // behind the preparation of its reference.
    const bool science = r.kind == "science";
    if (science && sent_any && options.interval_s > 0) {
      std::this_thread::sleep_until(last_send +
                                    std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(options.interval_s)));
    }
    const auto t1 = Clock::now();
    if (sink) {
      if (Status s = sink->send(r.envelope, std::move(r.fits)); !s) return s.with_context(r.id);
    }
    r.fits = {};  // release a rendered-ahead exposure once sent
    const double send_s = seconds_since(t1);
    last_send = t1;
    sent_any = true;

    summary.exposures++;
    (science ? summary.science : summary.references)++;
    summary.send_s += send_s;
    summary.wall_s = seconds_since(start);
    if (!options.quiet) {
      char line[256];
      std::snprintf(line, sizeof line,
                    "[%d/%d] %s %-9s seeing %.2f px  transients %d  render %.0f ms  send %.0f ms\n",
                    i + 1, total, r.id.c_str(), r.kind.c_str(), r.seeing_fwhm_px, r.transients,
                    r.render_s * 1e3, send_s * 1e3);
      log << line << std::flush;
    }
  }
  summary.wall_s = seconds_since(start);
  return Status::ok();
}

std::string format_summary(const RunSummary& s) {
  char line[512];
  std::snprintf(
      line, sizeof line,
      "%d exposures (%d references, %d science): %d transients, %d variables, %d moving, %zu truth "
      "rows, %.1f MB of FITS; render %.2f s, send %.2f s, wall %.2f s",
      s.exposures, s.references, s.science, s.transients, s.variables, s.moving, s.truth_rows,
      s.fits_bytes / 1e6, s.render_s, s.send_s, s.wall_s);
  return line;
}

}  // namespace blink::sim
