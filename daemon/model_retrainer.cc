#include "model_retrainer.h"

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "log.h"
#include "realbogus_training.h"
#include "training_labels.h"

namespace blink {
namespace {

std::string figures(const BinaryMetrics& m) {
  char b[96];
  std::snprintf(b, sizeof b, "AUC %.4f Brier %.4f", m.auc, m.brier);
  return b;
}

}  // namespace

std::string retrained_model_path(const std::string& state_dir) {
  return (std::filesystem::path(state_dir) / "models" / "retrained.json").string();
}

RetrainOutcome retrain_once(const std::string& db_path, const std::string& models_dir,
                            const std::shared_ptr<const RealBogusModel>& current, int min_labels) {
  RetrainOutcome out;
  std::vector<LabelledCandidate> examples;
  auto counts = train::label_from_database(db_path, examples);
  if (!counts) {
    out.line = "retrain: cannot read labels: " + counts.status().message();
    return out;
  }
  if (int(examples.size()) < min_labels) {
    out.line = "retrain: waiting for labels " + kv("labelled", examples.size()) + " " +
               kv("needed", min_labels);
    return out;
  }
  TrainingOptions options;
  options.baseline = current;
  options.threads = 1;  // leave a core to the pipeline
  options.provenance = {{"by", "blinkd"}, {"database", db_path}};
  auto trained = train_real_bogus(examples, options);
  if (!trained) {
    out.line = "retrain: training failed: " + trained.status().message();
    return out;
  }
  out.trained = true;
  const HeldOutScores& h = trained->held_out;
  const std::string old_version = current ? current->version() : "heuristic-logistic-1";
  const BinaryMetrics& before = current ? h.baseline_metrics : h.heuristic_metrics;
  const BinaryMetrics& after = h.model_metrics;
  // At least as good on both ranking and calibration, on the same exposures.
  const bool better = after.brier <= before.brier && after.auc >= before.auc - 1e-9;
  out.line = "retrain: " + kv("labels", examples.size()) + " " + kv("held_out", h.real.size()) + " " +
             kv("current", old_version) + " (" + figures(before) + ") " +
             kv("new", trained->model->version()) + " (" + figures(after) + ")";
  if (!better) {
    out.line += ": kept the current model";
    return out;
  }
  std::error_code ec;
  std::filesystem::create_directories(models_dir, ec);
  const std::string path = (std::filesystem::path(models_dir) / "retrained.json").string();
  if (Status s = trained->model->save(path); !s) {
    out.line += ": not swapped, cannot save it: " + s.message();
    return out;
  }
  out.swapped = true;
  out.line += ": swapped in, saved as " + path;
  return out;
}

ModelRetrainer::ModelRetrainer(std::string db_path, std::string models_dir,
                               SettingsHolder& settings, Metrics& metrics)
    : db_path_(std::move(db_path)),
      models_dir_(std::move(models_dir)),
      settings_(settings),
      metrics_(metrics),
      thread_([this] { run(); }) {}

ModelRetrainer::~ModelRetrainer() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void ModelRetrainer::configure(RetrainSettings settings, bool model_is_ours) {
  {
    std::lock_guard lock(mutex_);
    config_ = settings;
    ours_ = model_is_ours;
  }
  wake_.notify_all();
}

void ModelRetrainer::run() {
  std::unique_lock lock(mutex_);
  while (!stop_) {
    if (config_.hours <= 0) {
      wake_.wait(lock, [&] { return stop_ || config_.hours > 0; });
      continue;
    }
    const auto period = std::chrono::duration<double, std::ratio<3600>>(config_.hours);
    if (wake_.wait_for(lock, period, [&] { return stop_; })) break;
    if (!ours_) {
      log_info("retrain: skipped: scoring.model names the operator's own model file");
      continue;
    }
    const int min_labels = config_.min_labels;
    lock.unlock();
    RetrainOutcome r = retrain_once(db_path_, models_dir_, settings_.get().model, min_labels);
    if (r.swapped) {
      auto model = RealBogusModel::load((std::filesystem::path(models_dir_) / "retrained.json").string());
      if (model) {
        settings_.update([&](ProcessingSettings& s) {
          s.model = *model;
          s.model_version = (*model)->version();
        });
        metrics_.set_model_version((*model)->version());
      } else {
        r.line += " (but reloading it failed: " + model.status().message() + ")";
      }
    }
    log_info(r.line);
    lock.lock();
  }
}

}  // namespace blink
