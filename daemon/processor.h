// What a worker does with one accepted exposure: decode it, check it, run the
// detectors, route the candidates, store them (one transaction with the
// exposure's `done`), publish them, log one line. A reference is prepared,
// made current for its (field, band, ccd) and cached instead. Every failure
// ends as a rejection with a reason; nothing here throws on bad input.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>

#include "anomaly_model.h"
#include "association.h"
#include "defect_models.h"
#include "realbogus.h"
#include "fits_io.h"
#include "job.h"
#include "key_order.h"
#include "metrics.h"
#include "pipeline.h"
#include "realbogus_model.h"
#include "publisher.h"
#include "reference_cache.h"
#include "rejecter.h"
#include "router.h"
#include "spool.h"
#include "store.h"

namespace blink {

// The settings a reload may change, swapped as a whole. Workers take a
// snapshot per exposure, so a reload never changes an exposure mid-way.
struct ProcessingSettings {
  std::shared_ptr<const DifferencePipeline> pipeline;
  DecodeLimits limits;
  // Archived candidates with an unmistakable artefact signature queued per
  // exposure as training subjects (truth "bogus") for volunteers.
  int artefact_subjects_per_exposure = 2;
  AssociationOptions association;  // objects.*
  AnomalySettings anomaly;         // anomaly.*
  std::string model_version = kHeuristicRealBogusVersion;
  // The real/bogus model (scoring.model); null: the heuristic. Thread-safe;
  // score with score_real_bogus() (realbogus_model.h), which returns the
  // version to stamp.
  std::shared_ptr<const RealBogusModel> model;
};

// The current ProcessingSettings; set by the reload, read by workers. Thread-safe.
class SettingsHolder {
 public:
  explicit SettingsHolder(ProcessingSettings settings) : settings_(std::move(settings)) {}
  ProcessingSettings get() const {
    std::lock_guard lock(mutex_);
    return settings_;
  }
  void set(ProcessingSettings settings) {
    std::lock_guard lock(mutex_);
    settings_ = std::move(settings);
  }
  // Changes part of the settings in place (the retrainer's model swap).
  template <typename Fn>
  void update(Fn fn) {
    std::lock_guard lock(mutex_);
    fn(settings_);
  }

 private:
  mutable std::mutex mutex_;
  ProcessingSettings settings_;
};

// What the service borrows. Not owned; all of them are thread-safe and
// outlive the service.
struct ServiceDeps {
  Store& store;
  Spool& spool;
  ReferenceCache& references;
  DefectModels& defects;
  CandidateSink& sink;
  Metrics& metrics;
  Router& router;
  SettingsHolder& settings;
};

// The collaborators of the intake and the workers: the borrowed ones plus
// the service's own rejecter and key ordering.
struct ServiceContext : ServiceDeps {
  Rejecter& rejecter;
  KeyOrder& key_order;
};

// Checks the pipeline cannot make on its own. Exposed for tests.
// Share of pixels that are NaN or infinite.
double non_finite_fraction(const Image& image);
// True when the header has any celestial WCS keyword (CTYPEn, CRVALn, CDi_j, PCi_j).
bool header_has_wcs_keywords(const FitsImage& fits);
// The rejection reason a failed pipeline Status stands for.
RejectReason reason_for_pipeline_error(const Status& status);

// Threads for an exposure starting now: `configured`, or when it is 0 the cores
// this process may run on shared among the `in_flight` exposures (this one
// included), at least one.
int exposure_threads(int configured, size_t in_flight);

// Thread-safe: any number of workers call process() at once.
class ExposureProcessor {
 public:
  explicit ExposureProcessor(ServiceContext& context) : ctx_(context) {}

  // Takes the job to its end (done or rejected).
  void process(Job job);
  // Exposures taken to their end so far (progress, for the watchdog).
  uint64_t finished() const { return finished_.load(); }
  size_t in_flight() const { return in_flight_.load(); }

 private:
  struct Run;
  void run_stages(Run& run);
  void process_science(Run& run, const FitsImage& fits);
  void process_reference(Run& run, const FitsImage& fits);
  void reject(Run& run, Rejection rejection);

  ServiceContext& ctx_;
  AnomalyModel anomaly_;
  std::atomic<uint64_t> finished_{0};
  std::atomic<size_t> in_flight_{0};
};

}  // namespace blink
