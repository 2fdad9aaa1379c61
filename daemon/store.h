// Durable state: exposures, their candidates and the current references.
// Store is the interface the service writes through (tests may wrap it to
// inject faults); SqliteStore is the implementation and the only code that
// calls SQLite. The schema is written once, in store.cc, with its version.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "candidate.h"
#include "classes.h"
#include "association.h"
#include "history.h"
#include "envelope.h"
#include "rejection.h"
#include "router.h"
#include "status.h"

struct sqlite3;

namespace blink {

enum class ExposureState { kAccepted, kProcessing, kDone, kRejected };
std::string_view exposure_state_name(ExposureState state);

// One row of `exposures`.
struct ExposureRow {
  Envelope envelope;
  ExposureState state = ExposureState::kAccepted;
  double received_unix = 0;
  double finished_unix = 0;  // 0 until done or rejected
  std::string method;        // which subtraction ran (science) or "reference"
  int n_candidates = 0;
  double noise_ratio = 0;     // NaN when not measured
  std::string reject_reason;  // a reject_reason_label(), when rejected
  std::string error;          // the rejection's message
};

// The science, aligned reference and difference stamps around a candidate,
// size x size float pixels each, row-major, NaN outside the image.
struct CutoutTriplet {
  int size = 0;
  std::vector<float> science, reference, difference;
};

// How a candidate enters the volunteers' queue. Training subjects carry the
// truth, told to the volunteer after they answer.
struct SubjectSeed {
  double prior = 0.5;         // the machine's real/bogus score
  bool training = false;
  std::string truth;          // "real" or "bogus" for training subjects
  std::string truth_note;     // what it was, in words for the volunteer
  bool anomalous = false;     // routed to review for being unusual: shown sooner
};

// A candidate as routed, ready to store and publish.
struct RoutedCandidate {
  std::string candidate_id;  // "<exposure_id>:<index>", stable across restarts
  int index = 0;
  Candidate measured;        // measured.fake_index >= 0: an injected fake
  Route route = Route::kReview;
  std::string route_reason;
  bool anomalous = false;     // routed to review by the anomaly threshold
  std::string model_version;  // of the real/bogus model that scored it
  CandidateHistory history;   // its object and that object's past
  ClassProbabilities classes;
  double anomaly = 0;         // 0 (ordinary) .. 1 (most unusual among recent candidates)
  std::vector<double> anomaly_features;  // what `anomaly` was computed from; kept for refits
  std::shared_ptr<const CutoutTriplet> cutouts;  // stored when set
  std::optional<SubjectSeed> subject;            // queued for volunteers when set
};

// Whether a stored candidate is a detection later ones are matched against:
// injected fakes and archived artefacts are not.
inline bool counts_as_detection(const RoutedCandidate& r) {
  return r.measured.fake_index < 0 && r.route != Route::kRejected;
}

// A synthetic source injected into a science exposure, and what recovered it.
struct FakeRow {
  int index = 0;
  double x = 0, y = 0, flux = 0, mag = 0;
  bool near_host = false;
  std::string candidate_id;  // empty when no candidate matched it
};

// A stored candidate with the facts of its exposure, for the HTTP API.
struct CandidateRow {
  Envelope exposure;  // id, field, band, ccd, mjd_obs, exptime_s
  std::string method;
  RoutedCandidate candidate;
};

// The reference of one (field, band, ccd).
struct ReferenceRow {
  std::string field, band;
  int ccd = 0;
  std::string exposure_id;
  std::string path;  // the FITS file under state/references/
  double updated_unix = 0;
};

// What processing concluded, written when an exposure is done.
struct ExposureOutcome {
  std::string method;
  double noise_ratio = 0;
  double finished_unix = 0;
  double limiting_mag = 0;  // 5-sigma, of the difference image; 0 when unmeasured
};

// What the night report reads: exposures received in a window, their
// candidates by route, and their injected fakes.
struct NightData {
  std::vector<ExposureRow> exposures;
  int candidates[3] = {0, 0, 0};  // by Route, injected fakes excluded
  int classes[kNumClasses] = {};  // by most probable class, injected fakes excluded
  struct Fake {
    double mag = 0;
    bool recovered = false;
    bool near_host = false;
  };
  std::vector<Fake> fakes;
};

// Thread-safe: every method may be called from any thread.
class Store {
 public:
  virtual ~Store() = default;

  // The state of `exposure_id`, or nullopt when it was never seen.
  virtual Result<std::optional<ExposureState>> exposure_state(const std::string& exposure_id) = 0;
  // Records a new exposure as accepted. An id already present is refused
  // (kInvalidArgument) unless its row is `rejected`: then this is a retry and
  // the row starts over as accepted.
  virtual Status admit(const Envelope& envelope, double received_unix) = 0;
  virtual Status mark_processing(const std::string& exposure_id) = 0;
  // Marks the exposure rejected (inserting its row if it has none).
  virtual Status record_rejection(const Envelope& envelope, double received_unix,
                                  const Rejection& rejection, double finished_unix) = 0;
  // One transaction: replaces the exposure's candidates and marks it done.
  // Also stores their cutouts, queues their subjects and records the
  // exposure's injected fakes, all in that transaction.
  virtual Status finish_science(const std::string& exposure_id, const ExposureOutcome& outcome,
                                const std::vector<RoutedCandidate>& candidates,
                                const std::vector<FakeRow>& fakes = {}) = 0;
  // One transaction: makes it the reference of its key and marks it done.
  virtual Status finish_reference(const std::string& exposure_id, const ExposureOutcome& outcome,
                                  const ReferenceRow& reference) = 0;

  // Exposures accepted or processing (to resume after a crash), oldest first.
  virtual Result<std::vector<ExposureRow>> unfinished_exposures() = 0;
  virtual Result<std::vector<ReferenceRow>> references() = 0;
  // Newest first; `route` filters when set.
  virtual Result<std::vector<CandidateRow>> recent_candidates(std::optional<Route> route,
                                                              int limit) = 0;
  virtual Result<std::vector<ExposureRow>> recent_exposures(int limit) = 0;
  virtual Result<std::vector<RoutedCandidate>> candidates_of(const std::string& exposure_id) = 0;
  // The stored stamps of a candidate; kNotFound when it has none.
  virtual Result<CutoutTriplet> cutouts_of(const std::string& candidate_id) = 0;

  // What association needs for an exposure of (field, ccd): earlier
  // detections (counts_as_detection) and done science exposures with mjd_obs
  // in [mjd_from, mjd_to), any band.
  virtual Result<std::vector<PreviousDetection>> detections_in(const std::string& field, int ccd,
                                                               double mjd_from, double mjd_to) = 0;
  virtual Result<std::vector<ExposureCoverage>> coverage_of(const std::string& field, int ccd,
                                                            double mjd_from, double mjd_to) = 0;
  // The anomaly features of the newest `limit` candidates stored since
  // `since_unix` (injected fakes excluded), to refit the anomaly score.
  virtual Result<std::vector<std::vector<double>>> anomaly_rows(double since_unix, int limit) = 0;
};

// SQLite in WAL mode (synchronous=FULL, busy timeout): one writing connection
// and one reading connection (so the HTTP API does not wait for commits),
// each behind its own mutex.
class SqliteStore final : public Store {
 public:
  // Opens or creates the database and its schema. Fails on a newer schema version.
  static Result<std::unique_ptr<SqliteStore>> open(const std::string& path);
  ~SqliteStore() override;

  Result<std::optional<ExposureState>> exposure_state(const std::string& exposure_id) override;
  Status admit(const Envelope& envelope, double received_unix) override;
  Status mark_processing(const std::string& exposure_id) override;
  Status record_rejection(const Envelope& envelope, double received_unix,
                          const Rejection& rejection, double finished_unix) override;
  Status finish_science(const std::string& exposure_id, const ExposureOutcome& outcome,
                        const std::vector<RoutedCandidate>& candidates,
                        const std::vector<FakeRow>& fakes = {}) override;
  Status finish_reference(const std::string& exposure_id, const ExposureOutcome& outcome,
                          const ReferenceRow& reference) override;
  Result<std::vector<ExposureRow>> unfinished_exposures() override;
  Result<std::vector<ReferenceRow>> references() override;
  Result<std::vector<CandidateRow>> recent_candidates(std::optional<Route> route,
                                                      int limit) override;
  Result<std::vector<ExposureRow>> recent_exposures(int limit) override;
  Result<std::vector<RoutedCandidate>> candidates_of(const std::string& exposure_id) override;
  Result<CutoutTriplet> cutouts_of(const std::string& candidate_id) override;
  Result<std::vector<PreviousDetection>> detections_in(const std::string& field, int ccd,
                                                       double mjd_from, double mjd_to) override;
  Result<std::vector<ExposureCoverage>> coverage_of(const std::string& field, int ccd,
                                                    double mjd_from, double mjd_to) override;
  Result<std::vector<std::vector<double>>> anomaly_rows(double since_unix, int limit) override;

  // Exposures received in [from_unix, to_unix) and what became of them.
  Result<NightData> night_data(double from_unix, double to_unix);

  // PRAGMA integrity_check: ok, or kCorrupt with what SQLite found.
  Status integrity_check();
  static int schema_version();

 private:
  SqliteStore() = default;
  std::mutex write_mutex_;
  sqlite3* writer_ = nullptr;
  std::mutex read_mutex_;
  sqlite3* reader_ = nullptr;
};

}  // namespace blink
