// blink-train: builds the real/bogus model file from labelled candidates.
//
//   blink-train --sim --seeds 1,2,3,4 --size 1024 --out models/realbogus-default.json
//   blink-train --db /var/lib/blink/blink.db --out rb.json --svg rb
//
// Labels come from simulated nights (--sim: the simulator's truth and
// injected fakes) and/or daemons' databases (--db: fakes, training-subject
// truth, archived artefacts, retired volunteer verdicts). The candidates are
// split by exposure into training, calibration and test sets; the figures
// printed (and stored in the model file) are the test set's, beside the
// heuristic's on the same candidates.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>

#include "training_labels.h"
#include "realbogus_training.h"
#include "sim_labels.h"
#include "training_report.h"

using namespace blink;

namespace {

void progress(const std::string& line) { std::fprintf(stderr, "blink-train: %s\n", line.c_str()); }

std::string command_line(int argc, char** argv) {
  std::string out = "blink-train";
  for (int i = 1; i < argc; ++i) out += std::string(" ") + argv[i];
  return out;
}

bool write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) {
    std::fprintf(stderr, "blink-train: cannot write %s\n", path.c_str());
    return false;
  }
  std::printf("wrote %s\n", path.c_str());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"blink-train: trains and calibrates the real/bogus model (gradient-boosted trees)"};
  bool use_sim = false;
  train::SimNights nights;
  std::vector<std::string> dbs;
  std::string out_path, svg_prefix;
  TrainingOptions o;
  app.add_flag("--sim", use_sim, "label candidates of simulated nights by the simulator's truth");
  app.add_option("--seeds", nights.seeds, "simulated nights, one per seed")->delimiter(',');
  app.add_option("--fields", nights.fields, "fields per simulated night")->check(CLI::Range(1, 100));
  app.add_option("--epochs", nights.epochs, "science epochs per field")->check(CLI::Range(1, 100));
  app.add_option("--size", nights.size, "simulated image side, pixels")->check(CLI::Range(128, 8192));
  app.add_option("--fakes", nights.fakes_per_exposure,
                 "synthetic sources injected per simulated exposure (labelled real)")
      ->check(CLI::Range(0, 1000));
  app.add_option("--db", dbs, "a blinkd database (blink.db) to take labels from; repeatable");
  app.add_option("--out", out_path, "the model file to write")->required();
  app.add_option("--svg", svg_prefix,
                 "write PREFIX-roc.svg and PREFIX-reliability.svg for the held-out set");
  app.add_option("--threads", o.threads, "threads for the pipeline and the trees")
      ->check(CLI::Range(1, 256));
  app.add_option("--split-seed", o.seed, "orders exposures for the train/calibration/test split");
  app.add_option("--test-fraction", o.test_fraction, "share of exposures held out for the figures")
      ->check(CLI::Range(0.05, 0.5));
  app.add_option("--calibration-fraction", o.calibration_fraction,
                 "share of exposures for early stopping and calibration")
      ->check(CLI::Range(0.05, 0.5));
  app.add_option("--max-rounds", o.max_rounds, "boosting rounds at most")->check(CLI::Range(1, 10000));
  app.add_option("--max-depth", o.max_depth, "depth of each tree")->check(CLI::Range(1, 16));
  app.add_option("--eta", o.eta, "learning rate")->check(CLI::Range(0.001, 1.0));
  app.add_option("--alert-threshold", o.alert_threshold, "purity and completeness are quoted here")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--date", o.date, "YYYYMMDD for the model version (default: today, UTC)");
  CLI11_PARSE(app, argc, argv);
  if (!use_sim && dbs.empty()) {
    std::fprintf(stderr, "blink-train: give --sim and/or --db PATH: there is nothing to learn from\n");
    return 2;
  }
  nights.threads = o.threads;
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<LabelledCandidate> examples;
  nlohmann::ordered_json sources = nlohmann::ordered_json::array();
  if (use_sim) {
    progress("simulating " + std::to_string(nights.seeds.size()) + " nights of " +
             std::to_string(nights.fields) + " fields x " + std::to_string(nights.epochs) +
             " epochs, " + std::to_string(nights.size) + " px");
    if (Status s = train::label_sim_nights(nights, examples, progress); !s) {
      std::fprintf(stderr, "blink-train: %s\n", s.message().c_str());
      return 1;
    }
    sources.push_back({{"sim", {{"seeds", nights.seeds},
                                {"fields", nights.fields},
                                {"epochs", nights.epochs},
                                {"size", nights.size},
                                {"fakes_per_exposure", nights.fakes_per_exposure}}}});
  }
  for (const std::string& db : dbs) {
    auto counts = train::label_from_database(db, examples);
    if (!counts) {
      std::fprintf(stderr, "blink-train: %s\n", counts.status().message().c_str());
      return 1;
    }
    char line[300];
    std::snprintf(line, sizeof line,
                  "%s: %d fakes, %d training subjects, %d volunteer verdicts, %d archived "
                  "artefacts labelled; %d candidates without a label",
                  db.c_str(), counts->fakes, counts->training_truth, counts->verdicts,
                  counts->artefacts, counts->unlabelled);
    progress(line);
    if (!counts->has_host_columns)
      progress(db + " has no host columns: host features are missing for its candidates");
    sources.push_back({{"db", db},
                       {"fakes", counts->fakes},
                       {"training_truth", counts->training_truth},
                       {"verdicts", counts->verdicts},
                       {"artefacts", counts->artefacts}});
  }
  const double label_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  progress("labelled " + std::to_string(examples.size()) + " candidates in " +
           std::to_string(int(label_seconds)) + " s; training");
  o.provenance = {{"command", command_line(argc, argv)}, {"sources", sources}};
  o.progress = progress;
  auto outcome = train_real_bogus(examples, o);
  if (!outcome) {
    std::fprintf(stderr, "blink-train: %s\n", outcome.status().message().c_str());
    return 1;
  }
  std::printf("%s", train::figures_text(*outcome, o.alert_threshold).c_str());
  if (Status s = outcome->model->save(out_path); !s) {
    std::fprintf(stderr, "blink-train: %s\n", s.message().c_str());
    return 1;
  }
  std::printf("wrote %s (version %s, %d rounds) in %.0f s\n", out_path.c_str(),
              outcome->model->version().c_str(), outcome->rounds,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  if (!svg_prefix.empty()) {
    if (!write_text(svg_prefix + "-roc.svg", train::roc_svg(outcome->held_out)) ||
        !write_text(svg_prefix + "-reliability.svg", train::reliability_svg(outcome->held_out)))
      return 1;
  }
  return 0;
}
