// blink-bench-real: Blink's difference imaging on the real survey images in
// ../shared/data (PROVENANCE.md in each folder), per method:
//  - JWST NIRCam pair (no transient): residual noise ratio, what is detected
//    and how much of it SFFT's published S/N map also shows;
//  - SAAO bulge series (no WCS, crowded): noise ratio over the frames;
//  - both: injection-recovery of fakes planted into the real science images,
//    over magnitudes from 3 below to 0.3 beyond each difference's 5-sigma limit.
// A pair whose files are absent is skipped with a message.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fits_io.h"
#include "pipeline.h"
#include "products.h"

using namespace blink;

namespace {

struct Options {
  std::string data = std::string(BLINK_SOURCE_DIR) + "/../shared/data";
  std::vector<std::string> methods = {"zogy", "alard-lupton"};
  int fakes = 40;  // per science image and seed
  int seeds = 3;
  int threads = 2;
};

// One science image against its reference.
struct Pair {
  std::string name;
  std::shared_ptr<const FitsImage> reference;  // shared by a series' frames, prepared once
  FitsImage science;
};

// Recovery of fakes, by the S/N the difference's own noise gives each one.
struct Recovery {
  int bright = 0, bright_found = 0;  // S/N >= 10
  int faint = 0, faint_found = 0;    // S/N 5-10
  std::vector<double> flux_ratio;    // measured / injected, found fakes with S/N >= 10
  void add(const DifferenceResult& res) {
    std::vector<const Candidate*> by_fake(res.fakes.size(), nullptr);
    for (const Candidate& c : res.candidates)
      if (c.fake_index >= 0 && size_t(c.fake_index) < by_fake.size()) by_fake[size_t(c.fake_index)] = &c;
    for (size_t i = 0; i < res.fakes.size(); ++i) {
      const InjectedFake& f = res.fakes[i];
      PsfFlux noise = res.products->forced_flux(f.x, f.y);
      if (!noise.ok || noise.error <= 0) continue;
      const double snr = f.flux / noise.error;
      const Candidate* c = by_fake[i];
      if (snr >= 10) {
        ++bright, bright_found += c != nullptr;
        if (c) flux_ratio.push_back(c->flux / f.flux);
      } else if (snr >= 5) {
        ++faint, faint_found += c != nullptr;
      }
    }
  }
};

std::string percent(int found, int total) {
  if (total == 0) return "-";
  char b[48];
  std::snprintf(b, sizeof b, "%.1f%% (%d)", 100.0 * found / total, total);
  return b;
}

double median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

std::optional<FitsImage> read(const std::string& path) {
  auto f = read_fits_file(path);
  if (!f) {
    std::fprintf(stderr, "blink-bench-real: %s: %s\n", path.c_str(), f.status().message().c_str());
    return std::nullopt;
  }
  return std::move(*f);
}

// The JWST epochs come with noise maps (sigma): they become the variance.
std::optional<FitsImage> jwst_epoch(const std::string& dir, const std::string& name) {
  auto image = read(dir + "/input_data/" + name + ".fits");
  if (!image) return std::nullopt;
  if (Status st = read_noise_map(dir + "/auxiliary/" + name + ".noise.fits", *image); !st) {
    std::fprintf(stderr, "blink-bench-real: %s\n", st.message().c_str());
    return std::nullopt;
  }
  return image;
}

// The brightest |S/N| of SFFT's map within 4 pixels of a candidate.
float sfft_peak(const Image& map, const Candidate& c) {
  float peak = 0;
  for (int dy = -4; dy <= 4; ++dy)
    for (int dx = -4; dx <= 4; ++dx) {
      int x = int(std::lround(c.x)) + dx, y = int(std::lround(c.y)) + dy;
      if (map.contains(x, y)) peak = std::max(peak, std::abs(map.at(x, y)));
    }
  return peak;
}

struct MethodRow {
  std::vector<double> noise;
  int candidates = 0, strong = 0, strong_seen_by_sfft = 0, exposures = 0;
  Recovery recovery;
};

// Runs every pair without fakes, then with fakes for each seed.
void run_pairs(const std::vector<Pair>& pairs, const std::string& method, const Options& o,
               const Image* sfft_map, MethodRow& row) {
  PipelineOptions opt;
  opt.method = method;
  opt.threads = o.threads;
  DifferencePipeline plain(opt);
  std::map<const FitsImage*, std::shared_ptr<const PreparedReference>> refs;
  for (const Pair& p : pairs) {
    auto& ref = refs[p.reference.get()];
    if (!ref) {
      auto r = plain.prepare_reference(*p.reference);
      if (!r) {
        std::fprintf(stderr, "  %s reference: %s\n", p.name.c_str(), r.status().message().c_str());
        continue;
      }
      ref = *r;
    }
    auto res = plain.process(p.science, *ref);
    if (!res) {
      std::fprintf(stderr, "  %s %s: %s\n", p.name.c_str(), method.c_str(), res.status().message().c_str());
      continue;
    }
    row.noise.push_back(res->noise_ratio);
    row.candidates += int(res->candidates.size());
    ++row.exposures;
    for (const Candidate& c : res->candidates) {
      if (c.snr < 7 || !sfft_map) continue;
      ++row.strong;
      row.strong_seen_by_sfft += sfft_peak(*sfft_map, c) > 4;
    }
    // Fakes from 3 magnitudes above to 0.3 beyond this difference's 5-sigma limit.
    PipelineOptions fopt = opt;
    fopt.fakes.per_exposure = o.fakes;
    fopt.fakes.mag_min = res->limiting_mag - 3.0;
    fopt.fakes.mag_max = res->limiting_mag + 0.3;
    fopt.fakes.min_separation_px = 4 * res->science_fwhm;
    DifferencePipeline with_fakes(fopt);
    for (int seed = 1; seed <= o.seeds; ++seed) {
      auto fr = with_fakes.process(p.science, *ref, nullptr, uint64_t(seed));
      if (fr) row.recovery.add(*fr);
    }
    double seconds = 0;
    for (const auto& stage : res->timings) seconds += stage.second;
    std::fprintf(stderr, "  %-28s %-22s noise %.3f, %zu candidates, 5-sigma limit %.2f mag, %.2f s\n",
                 p.name.c_str(), res->method.c_str(), res->noise_ratio, res->candidates.size(), res->limiting_mag,
                 seconds);
  }
}

void print_table(const std::string& title, const std::vector<std::string>& methods,
                 const std::vector<MethodRow>& rows, bool with_sfft) {
  std::printf("\n== %s ==\n%-44s", title.c_str(), "");
  for (const auto& m : methods) std::printf("%20s", m.c_str());
  std::printf("\n");
  auto line = [&](const char* label, auto cell) {
    std::printf("%-44s", label);
    for (const MethodRow& r : rows) std::printf("%20s", cell(r).c_str());
    std::printf("\n");
  };
  auto num = [](double v, const char* fmt) {
    char b[32];
    std::snprintf(b, sizeof b, fmt, v);
    return std::string(b);
  };
  line("exposures", [&](const MethodRow& r) { return num(r.exposures, "%.0f"); });
  line("noise ratio, median", [&](const MethodRow& r) { return num(median(r.noise), "%.3f"); });
  line("candidates per exposure (no fakes)",
       [&](const MethodRow& r) { return num(r.exposures ? double(r.candidates) / r.exposures : 0, "%.1f"); });
  if (with_sfft) {
    line("  S/N >= 7", [&](const MethodRow& r) { return num(r.strong, "%.0f"); });
    line("  of which SFFT's map shows |S/N| > 4", [&](const MethodRow& r) { return num(r.strong_seen_by_sfft, "%.0f"); });
  }
  line("fakes found, S/N >= 10",
       [&](const MethodRow& r) { return percent(r.recovery.bright_found, r.recovery.bright); });
  line("fakes found, S/N 5-10", [&](const MethodRow& r) { return percent(r.recovery.faint_found, r.recovery.faint); });
  line("fake flux measured/injected, median (S/N>=10)",
       [&](const MethodRow& r) { return num(median(r.recovery.flux_ratio), "%.3f"); });
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"blink-bench-real: difference imaging and fake recovery on the real pairs in ../shared/data"};
  app.add_option("--data", o.data, "the shared data folder");
  app.add_option("--methods,--method", o.methods, "subtraction methods")
      ->delimiter(',')
      ->check(CLI::IsMember({"alard-lupton", "zogy", "auto"}));
  app.add_option("--fakes", o.fakes, "fakes per science image and seed");
  app.add_option("--seeds", o.seeds, "fake placements per science image");
  app.add_option("--threads", o.threads, "threads per exposure");
  CLI11_PARSE(app, argc, argv);

  // JWST NIRCam F200W, Abell 2744: GLASS (reference) and UNCOVER (science).
  const std::string jwst = o.data + "/jwst-nircam-a2744";
  const std::string ref_name = "jw01324001001-01324-o001_t001_nircam_clear-f200w_i2d_stamp";
  const std::string sci_name = "jw02561001002-02561-o001_t003_nircam_clear-f200w_i2d_stamp";
  if (std::filesystem::exists(jwst + "/input_data/" + sci_name + ".fits")) {
    auto ref = jwst_epoch(jwst, ref_name);
    auto sci = jwst_epoch(jwst, sci_name);
    auto sfft = read(jwst + "/4check/" + sci_name + ".crossConvd.sfftdiff.DeCorrelated.SNR.fits");
    if (ref && sci && sfft) {
      std::vector<Pair> pairs;
      pairs.push_back({"jwst UNCOVER - GLASS", std::make_shared<const FitsImage>(std::move(*ref)), std::move(*sci)});
      std::vector<MethodRow> rows(o.methods.size());
      for (size_t m = 0; m < o.methods.size(); ++m) {
        std::fprintf(stderr, "blink-bench-real: JWST pair, %s\n", o.methods[m].c_str());
        run_pairs(pairs, o.methods[m], o, &sfft->image, rows[m]);
      }
      print_table("JWST NIRCam F200W pair (900x900, noise maps as variance; no transient)", o.methods, rows, true);
      std::printf("SFFT's own decorrelated S/N map: robust sigma 1.17 by the same clipped measure.\n");
    }
  } else {
    std::fprintf(stderr, "blink-bench-real: skipped the JWST pair: %s is absent\n", jwst.c_str());
  }

  // SAAO 1 m, bulge field of microlensing event KB13475: frames against 0100.
  const std::string saao = o.data + "/saao-microlensing-kb13475/images/AKB13475I";
  if (std::filesystem::exists(saao + "0100.fits")) {
    auto ref = read(saao + "0100.fits");
    if (ref) {
      ref->saturate = 65000;  // the frames read 65300 when saturated and carry no SATURATE key
      auto shared_ref = std::make_shared<const FitsImage>(std::move(*ref));
      std::vector<Pair> pairs;
      for (const char* frame : {"0001", "0028", "0055", "0091", "0094", "0126", "0140", "0152", "0172", "0180"}) {
        auto sci = read(saao + frame + ".fits");
        if (!sci) continue;
        sci->saturate = 65000;
        pairs.push_back({std::string("saao ") + frame, shared_ref, std::move(*sci)});
      }
      std::vector<MethodRow> rows(o.methods.size());
      for (size_t m = 0; m < o.methods.size(); ++m) {
        std::fprintf(stderr, "blink-bench-real: SAAO series, %s\n", o.methods[m].c_str());
        run_pairs(pairs, o.methods[m], o, nullptr, rows[m]);
      }
      print_table("SAAO bulge series (no WCS, crowded; real variables present)", o.methods, rows, false);
    }
  } else {
    std::fprintf(stderr, "blink-bench-real: skipped the SAAO series: %s0100.fits is absent\n", saao.c_str());
  }
  return 0;
}
