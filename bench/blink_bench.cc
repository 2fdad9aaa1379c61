// blink-bench: runs the difference-imaging pipeline over simulated nights and
// prints what the pipeline is judged on, for each subtraction method side by
// side on the same exposures: completeness on injected transients, false
// candidates by cause, residual noise, time per stage and peak memory. The
// "fitsh" column runs fitsh's ficonv on the very images Blink subtracted and
// Blink's own detection on its difference (fitsh_method.h).
//
//   blink-bench --sizes 2048,4096 --seeds 1,2,3 --fields 1 --epochs 4
//               --methods alard-lupton,zogy,fitsh --svg completeness.svg
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <optional>

#include "fitsh_method.h"
#include "pipeline.h"
#include "process_memory.h"
#include "realbogus_model.h"
#include "report.h"
#include "survey.h"
#include "truth_match.h"

using namespace blink;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

bool is_blink_method(const std::string& m) { return m != "fitsh"; }

// The command as a person would type it: scratch paths reduced to file names.
std::string command_line(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& a : argv) {
    std::string arg = a.find("/blink-fitsh-") != std::string::npos ? a.substr(a.rfind('/') + 1) : a;
    if (arg.find_first_of(" ;") != std::string::npos) arg = "\"" + arg + "\"";
    out += (out.empty() ? "" : " ") + arg;
  }
  return out;
}

struct BenchOptions {
  std::vector<int> sizes = {2048};
  std::vector<uint64_t> seeds = {1};
  std::vector<std::string> methods = {"alard-lupton", "zogy", "fitsh"};
  int fields = 1, epochs = 4, threads = 2;
  double rb_threshold = 0.5;
  std::string svg_path, fitsh_kernel;
  std::string model_path;  // real/bogus model file; empty: the pipeline's heuristic score
  std::string candidates_csv;  // every candidate with what the truth says it is
  std::shared_ptr<const RealBogusModel> model;
  int fitsh_iterations = 3;
  bool fitsh_keep = false;
};

// Runs every listed method on every science exposure of one simulated night.
class NightRunner {
 public:
  NightRunner(const BenchOptions& o, bench::Report& report, std::optional<bench::FitshConfig> fitsh)
      : o_(o), report_(report), fitsh_(std::move(fitsh)) {
    if (!o.candidates_csv.empty()) {
      csv_.open(o.candidates_csv);
      csv_ << "exposure,method,seeing_ratio,truth,x,y,snr,mag,fwhm,fwhm_ratio,elongation,sharpness,"
              "negative_fraction,npix,on_mask,ref_distance,ref_mag,real_bogus\n";
    }
    for (const std::string& m : o.methods) {
      if (!is_blink_method(m)) continue;
      PipelineOptions p = base_options();
      p.method = m;
      pipelines_.emplace_back(m, std::make_unique<DifferencePipeline>(p));
    }
    // fitsh alone still needs Blink's aligned images: a pipeline that only supplies them.
    if (pipelines_.empty()) {
      PipelineOptions p = base_options();
      p.method = "alard-lupton";
      products_only_ = std::make_unique<DifferencePipeline>(p);
    }
  }

  // False when the night could not be run at all.
  bool run(int size, uint64_t seed) {
    sim::SimConfig cfg;
    cfg.seed = seed, cfg.fields = o_.fields, cfg.epochs = o_.epochs, cfg.width = cfg.height = size;
    cfg.threads = o_.threads;
    sim::SurveySimulator survey(cfg);
    std::map<std::string, BadPixelModel> defects;  // learnt from the stream, as the daemon does
    std::map<std::string, std::shared_ptr<const PreparedReference>> refs;
    const int total = survey.total_exposures();
    std::fprintf(stderr, "blink-bench: %d exposures of %dx%d, seed %llu, %d threads\n", total, size, size,
                 (unsigned long long)seed, o_.threads);
    sim::SimExposure exp;
    for (int n = 1; survey.next(exp); ++n) {
      auto bytes = sim::to_fits(exp);
      if (!bytes) return fail("simulator", bytes.status());
      auto t0 = std::chrono::steady_clock::now();
      auto fits = decode_fits(bytes->data(), bytes->size());
      const double decode_s = seconds_since(t0);
      if (!fits) return fail("decode", fits.status());
      const std::string key = exp.field + "/" + exp.band + "/" + std::to_string(exp.ccd);
      if (exp.kind == "reference") {
        auto ref = any_pipeline().prepare_reference(*fits);
        if (!ref) return fail(exp.exposure_id, ref.status());
        refs[key] = *ref;
        std::fprintf(stderr, "[%d/%d] %s reference ready (%.2f s)\n", n, total, exp.exposure_id.c_str(),
                     seconds_since(t0));
        continue;
      }
      auto& model = defects.try_emplace(key, fits->image.width, fits->image.height).first->second;
      const Mask bad = model.mask();
      Exposure e{exp, *fits, bad, *refs.at(key), decode_s, size, n, total};
      std::optional<DifferenceResult> first = run_blink_methods(e);
      if (!first) continue;
      model.observe(first->defects);
      if (fitsh_) run_fitsh(e, *first);
    }
    if (!survey.status()) return fail("simulator", survey.status());
    return true;
  }

  const std::vector<std::string>& fitsh_command() const { return fitsh_command_; }

 private:
  struct Exposure {
    const sim::SimExposure& sim;
    const FitsImage& fits;
    const Mask& bad;
    const PreparedReference& ref;
    double decode_s;
    int size, n, total;
  };

  PipelineOptions base_options() const {
    PipelineOptions p;
    p.threads = o_.threads;
    return p;
  }
  const DifferencePipeline& any_pipeline() const {
    return pipelines_.empty() ? *products_only_ : *pipelines_.front().second;
  }
  bool fail(const std::string& what, const Status& s) const {
    std::fprintf(stderr, "blink-bench: %s: %s\n", what.c_str(), s.message().c_str());
    return false;
  }

  // Each Blink method in turn; returns the first result, whose products the fitsh column uses.
  std::optional<DifferenceResult> run_blink_methods(const Exposure& e) {
    std::optional<DifferenceResult> first;
    for (auto& [method, pipeline] : pipelines_) {
      bench::reset_peak_resident();
      bench::MethodOutcome out;
      out.method = method, out.size = e.size, out.rss_before_mb = bench::resident_mb();
      auto t0 = std::chrono::steady_clock::now();
      auto res = pipeline->process(e.fits, e.ref, &e.bad);
      out.total_seconds = e.decode_s + seconds_since(t0);
      out.peak_rss_mb = bench::peak_resident_mb();
      if (!res) {
        std::fprintf(stderr, "[%d/%d] %s %s failed: %s\n", e.n, e.total, e.sim.exposure_id.c_str(), method.c_str(),
                     res.status().message().c_str());
        continue;
      }
      out.seeing_ratio = res->science_fwhm / res->reference_fwhm;
      out.noise_ratio = res->noise_ratio;
      out.stages.emplace_back("decode", e.decode_s);
      for (const auto& st : res->timings) out.stages.push_back(st);
      if (o_.model) score_real_bogus(o_.model.get(), res->candidates);  // as blinkd scores
      auto score = bench::score_exposure(res->candidates, e.sim.truth);
      write_candidates(e, method, out.seeing_ratio, res->candidates);
      report_.add(out, score);
      progress(e, res->method, res->science_fwhm, res->reference_fwhm, res->candidates.size(), score,
               out.noise_ratio, out.total_seconds, "");
      if (!first) first = std::move(res).value();
    }
    if (!first && products_only_) {
      auto res = products_only_->process(e.fits, e.ref, &e.bad);
      if (res) first = std::move(res).value();
      else std::fprintf(stderr, "[%d/%d] %s: %s\n", e.n, e.total, e.sim.exposure_id.c_str(), res.status().message().c_str());
    }
    return first;
  }

  void run_fitsh(const Exposure& e, const DifferenceResult& blink) {
    PipelineOptions p = base_options();
    // Not timed: the variances and catalogue the products do not keep (fitsh_method.h).
    auto inputs = bench::rebuild_fitsh_inputs(e.fits, &e.bad, e.ref, *blink.products, p);
    if (!inputs) {
      fail(e.sim.exposure_id + " fitsh inputs", inputs.status());
      return;
    }
    bench::reset_peak_resident();
    bench::MethodOutcome out;
    out.method = "fitsh", out.size = e.size, out.rss_before_mb = bench::resident_mb();
    auto run = bench::run_fitsh_method(*inputs, *blink.products, e.ref, blink.reference_fwhm, *fitsh_, p);
    if (!run) {
      std::fprintf(stderr, "[%d/%d] %s fitsh failed: %s\n", e.n, e.total, e.sim.exposure_id.c_str(),
                   run.status().message().c_str());
      return;
    }
    if (fitsh_command_.empty()) fitsh_command_ = run->subtraction.argv;
    if (!run->subtraction.kept_dir.empty())
      std::fprintf(stderr, "  ficonv's files kept in %s\n", run->subtraction.kept_dir.c_str());
    out.seeing_ratio = blink.science_fwhm / blink.reference_fwhm;
    out.noise_ratio = run->noise_ratio;
    out.peak_rss_mb = bench::peak_resident_mb();
    out.child_peak_rss_mb = run->subtraction.max_rss_kb / 1024.0;
    // Decoding, background, cosmics, sources and alignment are Blink's, shared
    // with the other columns; from the subtraction on the stages are fitsh's.
    out.stages.emplace_back("decode", e.decode_s);
    for (const auto& st : blink.timings)
      if (st.first != "subtract" && st.first != "detect" && st.first != "measure" && st.first != "score")
        out.stages.push_back(st);
    for (const auto& st : run->timings) out.stages.push_back(st);
    for (const auto& st : out.stages) out.total_seconds += st.second;
    if (o_.model) score_real_bogus(o_.model.get(), run->candidates);
    auto score = bench::score_exposure(run->candidates, e.sim.truth);
    write_candidates(e, "fitsh", out.seeing_ratio, run->candidates);
    report_.add(out, score);
    char extra[160];
    std::snprintf(extra, sizeof extra, ", ficonv %.2f s (%s, %d stamps, kernel sum %.3f)",
                  run->subtraction.ficonv_seconds, run->kernel_spec.c_str(), run->stamps,
                  run->subtraction.kernel.sum);
    progress(e, "fitsh", blink.science_fwhm, blink.reference_fwhm, run->candidates.size(), score, out.noise_ratio,
             out.total_seconds, extra);
  }

  void write_candidates(const Exposure& e, const std::string& method, double ratio,
                        const std::vector<Candidate>& candidates) {
    if (!csv_.is_open()) return;
    auto kinds = bench::candidate_truth_kinds(candidates, e.sim.truth);
    for (size_t i = 0; i < candidates.size(); ++i) {
      const Candidate& c = candidates[i];
      csv_ << e.sim.exposure_id << ',' << method << ',' << ratio << ',' << kinds[i] << ',' << c.x << ',' << c.y
           << ',' << c.snr << ',' << c.mag << ',' << c.fwhm << ',' << c.fwhm_ratio << ',' << c.elongation << ','
           << c.sharpness << ',' << c.negative_fraction << ',' << c.npix << ',' << c.on_mask << ','
           << c.ref_distance << ',' << c.ref_mag << ',' << c.real_bogus << '\n';
    }
  }

  void progress(const Exposure& e, const std::string& method, double sci_fwhm, double ref_fwhm, size_t candidates,
                const bench::ExposureScore& score, double noise, double seconds, const std::string& extra) const {
    int found = 0;
    for (auto& t : score.transients) found += t.second != nullptr;
    std::fprintf(stderr,
                 "[%d/%d] %s %-22s seeing %.2f/%.2f px (ratio %.2f): %zu candidates, %d/%zu transients, %d false, "
                 "noise %.3f, %.2f s%s\n",
                 e.n, e.total, e.sim.exposure_id.c_str(), method.c_str(), sci_fwhm, ref_fwhm, sci_fwhm / ref_fwhm,
                 candidates, found, score.transients.size(), score.false_total, noise, seconds, extra.c_str());
  }

  const BenchOptions& o_;
  bench::Report& report_;
  std::optional<bench::FitshConfig> fitsh_;
  std::vector<std::pair<std::string, std::unique_ptr<DifferencePipeline>>> pipelines_;
  std::unique_ptr<DifferencePipeline> products_only_;
  std::vector<std::string> fitsh_command_;
  std::ofstream csv_;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"blink-bench: injection-recovery and timing of difference-imaging methods, fitsh's included"};
  BenchOptions o;
  app.add_option("--seeds,--seed", o.seeds, "simulator seeds, one night each")->delimiter(',');
  app.add_option("--sizes,--size", o.sizes, "image sides in pixels")->delimiter(',');
  app.add_option("--fields", o.fields, "fields to simulate");
  app.add_option("--epochs", o.epochs, "science epochs per field");
  app.add_option("--threads", o.threads, "threads per exposure (Blink; ficonv has one)");
  app.add_option("--rb-threshold", o.rb_threshold, "real/bogus score counted as 'kept'");
  app.add_option("--model", o.model_path,
                 "score with this real/bogus model file (blink-train), e.g. "
                 "models/realbogus-default.json; default: the heuristic");
  app.add_option("--candidates-csv", o.candidates_csv,
                 "write every candidate here with what the truth says it is (diagnosis of false candidates)");
  app.add_option("--svg", o.svg_path, "write completeness against magnitude here, one line per method");
  app.add_option("--methods,--method", o.methods, "subtraction methods, compared in one table")
      ->delimiter(',')
      ->check(CLI::IsMember({"alard-lupton", "zogy", "auto", "fitsh"}));
  app.add_option("--fitsh-kernel", o.fitsh_kernel,
                 "ficonv -k kernel set (default: 'i/1;d=H/1', H from the two seeings)");
  app.add_option("--fitsh-iterations", o.fitsh_iterations, "ficonv -n: rejection iterations");
  app.add_flag("--fitsh-keep", o.fitsh_keep, "keep ficonv's scratch directories (their paths go to stderr)");
  CLI11_PARSE(app, argc, argv);
  if (!o.model_path.empty()) {
    auto model = RealBogusModel::load(o.model_path);
    if (!model) {
      std::fprintf(stderr, "blink-bench: %s\n", model.status().message().c_str());
      return 1;
    }
    o.model = *model;
    std::fprintf(stderr, "blink-bench: real/bogus model %s\n", o.model->version().c_str());
  }

  std::optional<bench::FitshConfig> fitsh;
  if (std::find(o.methods.begin(), o.methods.end(), "fitsh") != o.methods.end()) {
    if (auto path = bench::find_on_path("ficonv")) {
      fitsh = bench::FitshConfig{};
      fitsh->ficonv = *path;
      fitsh->kernel_spec = o.fitsh_kernel;
      fitsh->iterations = o.fitsh_iterations;
      fitsh->keep_files = o.fitsh_keep;
    } else {
      std::fprintf(stderr,
                   "blink-bench: ficonv is not on PATH, so the fitsh column is skipped "
                   "(it comes with Debian's fitsh package: tools/install-deps.sh installs it)\n");
      std::erase(o.methods, std::string("fitsh"));
      if (o.methods.empty()) {
        std::fprintf(stderr, "blink-bench: no method left to run\n");
        return 1;
      }
    }
  }

  bench::Report report(o.methods, o.rb_threshold);
  NightRunner runner(o, report, fitsh);
  for (int size : o.sizes)
    for (uint64_t seed : o.seeds)
      if (!runner.run(size, seed)) return 1;

  std::printf("\n== blink-bench: seeds");
  for (uint64_t s : o.seeds) std::printf(" %llu", (unsigned long long)s);
  std::printf(", %d field(s) x %d epochs per night, %d threads ==\n", o.fields, o.epochs, o.threads);
  report.print(stdout);
  if (!runner.fitsh_command().empty()) {
    std::printf("\nfitsh: %s\n", command_line(runner.fitsh_command()).c_str());
    std::printf(
        "  inputs: Blink's background-subtracted science and the reference resampled onto it; stamps: Blink's\n"
        "  catalogue of the science image. Its subtract is the whole round trip (write, ficonv, read back) on\n"
        "  one core (ficonv has no threads), Blink's runs on %d; its detect includes the significance image,\n"
        "  which Blink's methods make inside subtract. Stages before subtract are Blink's, shared by all columns.\n",
        o.threads);
  }
  if (!o.svg_path.empty()) {
    std::ofstream(o.svg_path) << report.completeness_svg();
    std::printf("completeness curve written to %s\n", o.svg_path.c_str());
  }
  return 0;
}
