// The service end to end without transports: raw messages in, an in-memory
// sink out, a real SQLite store and spool in a temporary folder, the real
// pipeline on small synthetic images.
#include <sched.h>

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "defect_models.h"
#include "key_order.h"
#include "service.h"
#include "status_api.h"
#include "synthetic_scene.h"
#include "systemd_notify.h"
#include "memory_sink.h"
#include "test_support.h"

using namespace blink;
using namespace blink::testing;
using Json = nlohmann::json;

namespace {

// A store whose candidate commits fail, to check nothing is published then.
class FailingStore final : public Store {
 public:
  explicit FailingStore(Store& real) : real_(real) {}
  Result<std::optional<ExposureState>> exposure_state(const std::string& id) override {
    return real_.exposure_state(id);
  }
  Status admit(const Envelope& e, double t) override { return real_.admit(e, t); }
  Status mark_processing(const std::string& id) override { return real_.mark_processing(id); }
  Status record_rejection(const Envelope& e, double t, const Rejection& r, double f) override {
    return real_.record_rejection(e, t, r, f);
  }
  Status finish_science(const std::string&, const ExposureOutcome&,
                        const std::vector<RoutedCandidate>&, const std::vector<FakeRow>&) override {
    return Status::io_error("disk I/O error (injected)");
  }
  Status finish_reference(const std::string& id, const ExposureOutcome& o,
                          const ReferenceRow& r) override {
    return real_.finish_reference(id, o, r);
  }
  Result<std::vector<ExposureRow>> unfinished_exposures() override {
    return real_.unfinished_exposures();
  }
  Result<std::vector<ReferenceRow>> references() override { return real_.references(); }
  Result<std::vector<CandidateRow>> recent_candidates(std::optional<Route> r, int l) override {
    return real_.recent_candidates(r, l);
  }
  Result<std::vector<ExposureRow>> recent_exposures(int l) override {
    return real_.recent_exposures(l);
  }
  Result<std::vector<RoutedCandidate>> candidates_of(const std::string& id) override {
    return real_.candidates_of(id);
  }
  Result<CutoutTriplet> cutouts_of(const std::string& id) override { return real_.cutouts_of(id); }
  Result<std::vector<PreviousDetection>> detections_in(const std::string& f, int ccd, double a,
                                                       double b) override {
    return real_.detections_in(f, ccd, a, b);
  }
  Result<std::vector<ExposureCoverage>> coverage_of(const std::string& f, int ccd, double a,
                                                    double b) override {
    return real_.coverage_of(f, ccd, a, b);
  }
  Result<std::vector<std::vector<double>>> anomaly_rows(double since, int limit) override {
    return real_.anomaly_rows(since, limit);
  }

 private:
  Store& real_;
};

constexpr int kSize = 256;
constexpr double kTransientX = 140.3, kTransientY = 101.7;

std::vector<uint8_t> fits_bytes(const Image& img, const Scene& sc, double wcs_dx, double wcs_dy,
                                std::vector<FitsCard> extra = {}) {
  std::vector<FitsCard> cards =
      tan_wcs_cards({150.0, 2.0}, {img.width / 2.0 + wcs_dx, img.height / 2.0 + wcs_dy}, 1.0, 0.0);
  cards.push_back({"GAIN", sc.gain, ""});
  cards.push_back({"RDNOISE", sc.read_noise, ""});
  cards.push_back({"SATURATE", 60000.0, ""});
  cards.push_back({"MAGZP", 28.0, ""});
  for (auto& c : extra) cards.push_back(c);
  auto bytes = encode_fits(img, cards);
  REQUIRE(bytes);
  return *bytes;
}

// A reference field and a later science exposure of it with one new star.
struct Night {
  std::vector<uint8_t> reference, science;
  Night() {
    Scene sc;
    sc.width = sc.height = kSize;
    auto stars = random_stars(90, kSize, kSize, 5, 3000, 300000);
    reference = fits_bytes(render(sc, stars), sc, 0, 0);
    Scene later = sc;
    later.fwhm = 3.6;
    later.noise_seed = 2;
    stars.push_back({kTransientX, kTransientY, 30000});
    science = fits_bytes(render(later, stars), later, 0, 0);
  }
};

const Night& night() {
  static const Night n;
  return n;
}

Json envelope(const std::string& id, const std::string& kind, const std::string& field = "F1") {
  return {{"schema", "blink.exposure/1"},
          {"exposure_id", id},
          {"kind", kind},
          {"field", field},
          {"band", "r"},
          {"ccd", 0},
          {"mjd_obs", 60000.5},
          {"exptime_s", 30.0}};
}

RawMessage message(const std::string& envelope_text, const std::vector<uint8_t>& payload,
                   int extra_frames = 0) {
  RawMessage m;
  m.frames.push_back(make_payload(envelope_text));
  m.frames.push_back(make_payload(payload));
  m.frame_count = 2 + extra_frames;
  m.total_bytes = envelope_text.size() + payload.size();
  return m;
}

RawMessage message(const Json& envelope, const std::vector<uint8_t>& payload) {
  return message(envelope.dump(), payload);
}

// Everything a Service needs, in a temporary state folder.
struct Rig {
  explicit Rig(ServiceOptions options = {1, 16, 1 << 24}) : options(options) { open(); }
  void open(Store* store_override = nullptr) {
    spool = std::make_unique<Spool>(tmp.path() / "state", 1 << 24);
    REQUIRE(spool->init());
    if (!store_override) {
      auto s = SqliteStore::open((tmp.path() / "state" / "blink.db").string());
      REQUIRE(s);
      store = std::move(s).value();
    }
    references = std::make_unique<ReferenceCache>();
    defects = std::make_unique<DefectModels>(tmp.path() / "state" / "defects");
    metrics = std::make_unique<Metrics>("test");
    PipelineOptions po;
    po.threads = 1;
    settings = std::make_unique<SettingsHolder>(
        ProcessingSettings{std::make_shared<const DifferencePipeline>(po), {}});
    Store& used = store_override ? *store_override : *store;
    service = std::make_unique<Service>(
        ServiceDeps{used, *spool, *references, *defects, sink, *metrics, router, *settings},
        options);
    REQUIRE(service->recover_and_load_references());
  }
  // Simulates a crash: everything goes away, the state folder stays. With
  // `store_override` (which wraps `store`), the store stays open and the new
  // service writes through the override.
  void restart(Store* store_override = nullptr) {
    service.reset();
    open(store_override);
  }
  double rejected(RejectReason reason) {
    prometheus::TextSerializer serializer;
    std::string text = serializer.Serialize(metrics->registry()->Collect());
    std::string key = "blink_exposures_rejected_total{reason=\"" +
                      std::string(reject_reason_label(reason)) + "\"} ";
    auto at = text.find(key);
    return at == std::string::npos ? -1 : std::atof(text.c_str() + at + key.size());
  }
  size_t quarantined_files(const std::string& ext) {
    size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(tmp.path() / "state" / "quarantine"))
      n += e.path().extension() == ext;
    return n;
  }
  ExposureState state_of(const std::string& id) {
    auto s = store->exposure_state(id);
    REQUIRE(s);
    REQUIRE(s->has_value());
    return **s;
  }
  ExposureRow row_of(const std::string& id) {
    auto rows = store->recent_exposures(100);
    REQUIRE(rows);
    for (auto& r : *rows)
      if (r.envelope.exposure_id == id) return r;
    FAIL("no row for " << id);
    return {};
  }

  TempDir tmp;
  ServiceOptions options;
  MemorySink sink;
  Router router{RoutingThresholds{0.8, 0.2}};
  std::unique_ptr<Spool> spool;
  std::unique_ptr<SqliteStore> store;
  std::unique_ptr<ReferenceCache> references;
  std::unique_ptr<DefectModels> defects;
  std::unique_ptr<Metrics> metrics;
  std::unique_ptr<SettingsHolder> settings;
  std::unique_ptr<Service> service;
};

}  // namespace

TEST_CASE("service: a reference then a science exposure give stored and published candidates") {
  Rig rig;
  rig.service->start_workers();
  rig.service->accept(message(envelope("ref-1", "reference"), night().reference));
  rig.service->accept(message(envelope("sci-1", "science"), night().science));
  rig.service->drain_and_stop();

  CHECK(rig.state_of("ref-1") == ExposureState::kDone);
  CHECK(rig.state_of("sci-1") == ExposureState::kDone);
  CHECK(std::filesystem::exists(rig.spool->reference_path("F1", "r", 0)));
  CHECK(rig.spool->spooled_ids().empty());  // done exposures leave the spool
  CHECK(rig.references->size() == 1);

  auto published = rig.sink.messages();
  REQUIRE_FALSE(published.empty());
  auto stored = rig.store->candidates_of("sci-1");
  REQUIRE(stored);
  CHECK(stored->size() == published.size());
  bool found = false;
  for (const auto& m : published) {
    const auto& b = m.body;
    CHECK(b.at("schema") == "blink.candidate/1");
    CHECK(m.topic == "candidate." + b.at("route").get<std::string>());
    CHECK(b.at("exposure_id") == "sci-1");
    CHECK(b.at("candidate_id").get<std::string>().rfind("sci-1:", 0) == 0);
    CHECK_FALSE(b.at("route_reason").get<std::string>().empty());
    if (std::hypot(b.at("x").get<double>() - kTransientX, b.at("y").get<double>() - kTransientY) <
        1.5)
      found = true;
  }
  CHECK(found);
  MetricsTotals t = rig.metrics->totals();
  CHECK(t.received == 2);
  CHECK(t.processed == 2);
  CHECK(t.rejected == 0);
  CHECK(t.alert + t.review + t.rejected_candidates == double(published.size()));
  auto row = rig.row_of("sci-1");
  CHECK(row.n_candidates == int(published.size()));
  CHECK_FALSE(row.method.empty());
}

TEST_CASE("service: a repeated exposure_id is rejected as duplicate and processed once") {
  Rig rig;
  rig.service->start_workers();
  rig.service->accept(message(envelope("ref-1", "reference"), night().reference));
  rig.service->accept(message(envelope("ref-1", "reference"), night().reference));
  rig.service->drain_and_stop();
  CHECK(rig.metrics->totals().processed == 1);
  CHECK(rig.metrics->totals().rejected == 1);
  CHECK(rig.state_of("ref-1") == ExposureState::kDone);  // the original's row is untouched
  CHECK(rig.quarantined_files(".json") == 1);
}

TEST_CASE("service: a science exposure without a reference is rejected as no_reference") {
  Rig rig;
  rig.service->start_workers();
  rig.service->accept(message(envelope("sci-1", "science"), night().science));
  rig.service->drain_and_stop();
  CHECK(rig.state_of("sci-1") == ExposureState::kRejected);
  auto row = rig.row_of("sci-1");
  CHECK(row.reject_reason == "no_reference");
  CHECK_THAT(row.error, Catch::Contains("no reference for field F1 band r ccd 0"));
  CHECK(rig.quarantined_files(".json") == 1);
  CHECK(rig.quarantined_files(".fits") == 1);
  CHECK(rig.spool->spooled_ids().empty());
  CHECK(rig.sink.messages().empty());
}

TEST_CASE("service: malformed input is rejected with its reason, counted and quarantined") {
  Rig rig({1, 16, 64 * 1024});
  rig.service->start_workers();
  Image nan_image(64, 64, std::nanf(""));
  Scene sc;
  const std::vector<uint8_t> fits = fits_bytes(Image(64, 64, 100.0f), sc, 0, 0);  // small and valid
  const auto& big = night().reference;  // 256 KiB: over the 64 KiB limit
  std::vector<uint8_t> nan_fits = fits_bytes(nan_image, sc, 0, 0);
  Image small(64, 64, 100.0f);
  std::vector<uint8_t> bad_wcs_fits =
      fits_bytes(small, sc, 0, 0, {{"CTYPE3", std::string("FREQ"), ""}, {"WCSAXES", long(3), ""}});
  std::vector<uint8_t> truncated(fits.begin(), fits.begin() + 4000);
  REQUIRE(fits.size() > 4000);
  std::vector<uint8_t> not_fits = {'h', 'e', 'l', 'l', 'o'};

  struct Case {
    const char* name;
    RawMessage msg;
    const char* reason;
  };
  std::vector<Case> cases;
  cases.push_back({"one frame", {}, "bad_frames"});
  cases.back().msg.frames.push_back(make_payload(envelope("a", "science").dump()));
  cases.back().msg.frame_count = 1;
  cases.push_back(
      {"three frames", message(envelope("b", "science").dump(), fits, 1), "bad_frames"});
  cases.push_back({"not JSON", message(std::string("{oops"), fits), "bad_envelope"});
  Json unknown = envelope("c", "science");
  unknown["schema"] = "blink.exposure/9";
  cases.push_back({"unknown schema", message(unknown, fits), "unknown_schema"});
  cases.push_back({"unsafe id", message(envelope("../c", "science"), fits), "bad_envelope"});
  cases.push_back({"oversized", message(envelope("d", "reference"), big), "oversized"});
  cases.push_back({"not FITS", message(envelope("e", "reference"), not_fits), "bad_fits"});
  cases.push_back({"truncated FITS", message(envelope("f", "reference"), truncated), "bad_fits"});
  cases.push_back({"all NaN", message(envelope("g", "reference"), nan_fits), "bad_pixels"});
  cases.push_back({"broken WCS", message(envelope("h", "reference"), bad_wcs_fits), "bad_wcs"});
  std::map<std::string, int> expected;
  for (auto& c : cases) {
    expected[c.reason] += 1;
    rig.service->accept(std::move(c.msg));
  }
  rig.service->drain_and_stop();

  for (RejectReason r : kAllRejectReasons) {
    const std::string label(reject_reason_label(r));
    INFO(label);
    CHECK(rig.rejected(r) == expected[label]);
  }
  CHECK(rig.metrics->totals().rejected == double(cases.size()));
  CHECK(rig.metrics->totals().processed == 0);
  CHECK(rig.quarantined_files(".json") == cases.size());
  // Rows exist for valid envelopes only, each with its reason.
  CHECK(rig.row_of("d").reject_reason == "oversized");
  CHECK(rig.row_of("e").reject_reason == "bad_fits");
  CHECK(rig.row_of("f").reject_reason == "bad_fits");
  CHECK(rig.row_of("g").reject_reason == "bad_pixels");
  CHECK(rig.row_of("h").reject_reason == "bad_wcs");
  CHECK(rig.spool->spooled_ids().empty());
  // Each quarantined note says why.
  for (const auto& e :
       std::filesystem::directory_iterator(rig.tmp.path() / "state" / "quarantine")) {
    if (e.path().extension() != ".json") continue;
    Json note = Json::parse(read_text(e.path()));
    CHECK(note.contains("reason"));
    CHECK(note.contains("message"));
  }
}

TEST_CASE("service: a bad_frames message never touches the row of an exposure already received") {
  Rig rig;
  rig.service->start_workers();
  rig.service->accept(message(envelope("ref-1", "reference"), night().reference));
  rig.service->accept(message(envelope("ref-1", "reference").dump(), night().reference, 1));
  rig.service->drain_and_stop();
  CHECK(rig.state_of("ref-1") == ExposureState::kDone);
}

TEST_CASE("service: exposures accepted before a crash are processed after the restart") {
  Rig rig;
  // Accepted (spooled and committed) but never processed: no workers run.
  rig.service->accept(message(envelope("ref-1", "reference"), night().reference));
  rig.service->accept(message(envelope("sci-1", "science"), night().science));
  CHECK(rig.state_of("sci-1") == ExposureState::kAccepted);
  CHECK(rig.spool->spooled_ids().size() == 2);

  rig.restart();
  rig.service->start_workers();
  CHECK(rig.service->resume_unfinished() == 2);
  rig.service->drain_and_stop();
  CHECK(rig.state_of("ref-1") == ExposureState::kDone);
  CHECK(rig.state_of("sci-1") == ExposureState::kDone);
  CHECK_FALSE(rig.sink.messages().empty());
  CHECK(rig.spool->spooled_ids().empty());

  // A further restart finds nothing to resume and loads the reference.
  rig.restart();
  CHECK(rig.references->size() == 1);
  CHECK(rig.service->resume_unfinished() == 0);
}

TEST_CASE("service: a reference committed but not yet moved is completed at start-up") {
  Rig rig;
  REQUIRE(rig.spool->write_spooled("ref-1", night().reference));
  Envelope e = *parse_envelope(envelope("ref-1", "reference").dump()).envelope;
  REQUIRE(rig.store->admit(e, 1));
  const auto path = rig.spool->reference_path("F1", "r", 0);
  REQUIRE(rig.store->finish_reference("ref-1", {"reference", 0, 2},
                                      {"F1", "r", 0, "ref-1", path.string(), 2}));
  rig.restart();
  CHECK(std::filesystem::exists(path));
  CHECK(rig.spool->spooled_ids().empty());
  CHECK(rig.references->size() == 1);
}

TEST_CASE(
    "service: when candidates cannot be stored nothing is published and the exposure waits for the "
    "next start") {
  Rig rig;
  rig.service->start_workers();
  rig.service->accept(message(envelope("ref-1", "reference"), night().reference));
  rig.service->drain_and_stop();
  FailingStore failing(*rig.store);
  rig.restart(&failing);
  rig.service->start_workers();
  rig.service->accept(message(envelope("sci-1", "science"), night().science));
  rig.service->drain_and_stop();
  CHECK(rig.sink.messages().empty());
  CHECK(rig.state_of("sci-1") == ExposureState::kProcessing);
  CHECK(rig.spool->spooled_ids() == std::vector<std::string>{"sci-1"});
}

TEST_CASE("service: a science job waits for a reference of its key queued before it") {
  KeyOrder order;
  const ReferenceKey key{"F1", "r", 0}, other{"F2", "r", 0};
  order.reference_queued(key, 1);
  CHECK_FALSE(order.wait_turn(other, 2));  // another key does not wait
  CHECK_FALSE(order.wait_turn(key, 1));    // the reference itself does not wait for itself
  std::atomic<bool> through{false};
  std::thread science([&] {
    order.wait_turn(key, 2);
    through = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK_FALSE(through.load());
  order.reference_finished(key, 1);
  science.join();
  CHECK(through.load());
  // A reference queued after a science job does not hold it up.
  order.reference_queued(key, 10);
  CHECK_FALSE(order.wait_turn(key, 9));
}

TEST_CASE("service: the watchdog is fed only while the pipeline progresses") {
  CHECK(watchdog_should_ping({0, 5}, {0, 5}));        // idle
  CHECK(watchdog_should_ping({3, 5}, {3, 6}));        // busy and finishing
  CHECK_FALSE(watchdog_should_ping({3, 5}, {3, 5}));  // work queued, nothing finished: stuck
  CHECK_FALSE(watchdog_should_ping({0, 5}, {1, 5}));
}

TEST_CASE("service: the systemd STATUS line carries the live counts") {
  MetricsTotals t;
  t.processed = 12;
  t.rejected = 1;
  t.alert = 2;
  t.review = 5;
  t.rejected_candidates = 30;
  CHECK(status_line(t, 3, 1) ==
        "processed 12, rejected 1, queue 3, in flight 1, candidates 37 (alert 2, review 5, "
        "rejected 30)");
}

TEST_CASE(
    "service: the service manager gets READY, RELOADING and STOPPING as sd_notify assignments") {
  struct Recorder final : ServiceManager {
    std::vector<std::string> sent;
    void notify(const std::string& a) override { sent.push_back(a); }
  } r;
  r.ready();
  r.reloading();
  r.stopping();
  r.status("x");
  r.watchdog();
  REQUIRE(r.sent.size() == 5);
  CHECK(r.sent[0] == "READY=1");
  CHECK(r.sent[1].rfind("RELOADING=1\nMONOTONIC_USEC=", 0) == 0);
  CHECK(r.sent[2] == "STOPPING=1");
  CHECK(r.sent[3] == "STATUS=x");
  CHECK(r.sent[4] == "WATCHDOG=1");
}

TEST_CASE("service: threads per exposure are the configured count, or the cores shared in flight") {
  CHECK(exposure_threads(3, 1) == 3);
  CHECK(exposure_threads(3, 7) == 3);
  cpu_set_t set;
  CPU_ZERO(&set);
  REQUIRE(sched_getaffinity(0, sizeof set, &set) == 0);
  const int cores = CPU_COUNT(&set);
  CHECK(exposure_threads(0, 1) == cores);  // a lone exposure gets every core
  CHECK(exposure_threads(0, 0) == cores);
  CHECK(exposure_threads(0, size_t(cores)) == 1);
  CHECK(exposure_threads(0, 1000) == 1);  // never none
}
