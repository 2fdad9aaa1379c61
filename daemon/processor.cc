#include "processor.h"

#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "alert_messages.h"
#include "candidate_json.h"
#include "candidate_scoring.h"
#include "clock.h"
#include "log.h"
#include "prepared_image.h"
#include "review_intake.h"
#include "wcs.h"

namespace blink {
namespace {

using SteadyClock = std::chrono::steady_clock;

// FNV-1a: the same exposure gets the same fakes on every machine and build
// (std::hash promises neither), so a re-processed exposure matches its first run.
uint64_t stable_hash(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

double seconds_since(SteadyClock::time_point t) {
  return std::chrono::duration<double>(SteadyClock::now() - t).count();
}

std::string ms(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f", seconds * 1000);
  return buf;
}

std::string card_key(const std::string& header, size_t card) {
  std::string key = header.substr(card * 80, 8);
  while (!key.empty() && key.back() == ' ') key.pop_back();
  return key;
}

}  // namespace

// The state of one exposure while a worker handles it.
struct ExposureProcessor::Run {
  Job job;
  std::unique_ptr<Payload> payload;
  ProcessingSettings settings;
  SteadyClock::time_point started = SteadyClock::now();
  StageTimings timings;  // every stage, in order, for the log line and the histogram
};

double non_finite_fraction(const Image& image) {
  if (image.pixels.empty()) return 0;
  size_t bad = 0;
  for (float v : image.pixels) bad += !std::isfinite(v);
  return double(bad) / double(image.pixels.size());
}

bool header_has_wcs_keywords(const FitsImage& fits) {
  const size_t cards = std::min(size_t(fits.header_cards), fits.header.size() / 80);
  for (size_t i = 0; i < cards; ++i) {
    std::string key = card_key(fits.header, i);
    if (key.rfind("CTYPE", 0) == 0 || key.rfind("CRVAL", 0) == 0 || key == "CD1_1" ||
        key == "PC1_1")
      return true;
  }
  return false;
}

int exposure_threads(int configured, size_t in_flight) {
  if (configured > 0) return configured;
  // The affinity mask, not the machine: systemd's CPUAffinity= and taskset narrow it.
  cpu_set_t set;
  CPU_ZERO(&set);
  const int cores = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
  return std::max(1, cores / int(std::max<size_t>(in_flight, 1)));
}

RejectReason reason_for_pipeline_error(const Status& status) {
  const std::string& m = status.message();
  if (m.find("NaN or infinite") != std::string::npos) return RejectReason::kBadPixels;
  if (m.find("WCS") != std::string::npos) return RejectReason::kBadWcs;
  return RejectReason::kPipelineError;
}

void ExposureProcessor::process(Job job) {
  in_flight_.fetch_add(1);
  struct Done {
    ExposureProcessor* self;
    ReferenceKey key;
    uint64_t seq;
    bool science;
    ~Done() {
      if (science) self->ctx_.key_order.science_finished(key, seq);
      self->finished_.fetch_add(1);
      self->in_flight_.fetch_sub(1);
    }
  } done{this, job.key(), job.seq, job.envelope.kind == ExposureKind::kScience};
  Run run{std::move(job), nullptr, ctx_.settings.get(), SteadyClock::now(), {}};
  try {
    run_stages(run);
  } catch (const std::exception& ex) {
    // Out of memory on a huge image, most likely: this exposure fails, the daemon goes on.
    reject(run, {RejectReason::kPipelineError, std::string("internal error: ") + ex.what()});
  }
}

void ExposureProcessor::run_stages(Run& run) {
  const Envelope& e = run.job.envelope;
  if (Status s = ctx_.store.mark_processing(e.exposure_id); !s)
    log_warning("exposure " + e.exposure_id + ": " + s.message());

  run.payload = std::move(run.job.payload);
  if (!run.payload) {
    auto bytes = ctx_.spool.read(ctx_.spool.spool_path(e.exposure_id));
    if (!bytes) {
      reject(run, {RejectReason::kPipelineError,
                   "spooled payload unreadable: " + bytes.status().message()});
      return;
    }
    run.payload = make_payload(std::move(bytes).value());
  }

  auto t = SteadyClock::now();
  auto data = run.payload->bytes();
  auto fits = decode_fits(data.data(), data.size(), run.settings.limits);
  run.timings.emplace_back("decode", seconds_since(t));
  if (!fits) {
    reject(run, {RejectReason::kBadFits, fits.status().message()});
    return;
  }
  double bad = non_finite_fraction(fits->image);
  if (bad > 0.5) {
    reject(run, {RejectReason::kBadPixels,
                 std::to_string(int(std::lround(bad * 100))) + "% of pixels are NaN or infinite"});
    return;
  }
  if (header_has_wcs_keywords(*fits)) {
    auto wcs = Wcs::from_header(fits->header, fits->header_cards);
    if (!wcs) {
      reject(run, {RejectReason::kBadWcs,
                   "header has WCS keywords but no usable WCS: " + wcs.status().message()});
      return;
    }
  }
  if (e.kind == ExposureKind::kReference) {
    process_reference(run, *fits);
  } else {
    process_science(run, *fits);
  }
}

void ExposureProcessor::process_reference(Run& run, const FitsImage& fits) {
  const Envelope& e = run.job.envelope;
  const ReferenceKey key = run.job.key();
  ctx_.key_order.wait_turn(key, run.job.seq);  // earlier references of this key land first

  auto t = SteadyClock::now();
  auto prepared = run.settings.pipeline->prepare_reference(
      fits, exposure_threads(run.settings.pipeline->options().threads, in_flight_.load()));
  run.timings.emplace_back("prepare_reference", seconds_since(t));
  if (!prepared) {
    reject(run, {reason_for_pipeline_error(prepared.status()), prepared.status().message()});
    return;
  }

  t = SteadyClock::now();
  const auto path = ctx_.spool.reference_path(e.field, e.band, e.ccd);
  const double now = unix_now();
  ExposureOutcome outcome{"reference", std::nan(""), now};
  ReferenceRow row{e.field, e.band, e.ccd, e.exposure_id, path.string(), now};
  if (Status s = ctx_.store.finish_reference(e.exposure_id, outcome, row); !s) {
    log_error("exposure " + e.exposure_id +
              ": cannot store the reference (left for the next start): " + s.message());
    ctx_.key_order.reference_finished(key, run.job.seq);
    return;
  }
  // The database now names the file; a crash before the move is completed at start-up.
  if (Status s = ctx_.spool.move_spooled(e.exposure_id, path); !s)
    log_error("exposure " + e.exposure_id + ": " + s.message());
  ctx_.references.put(key, std::move(prepared).value(), e.exposure_id, now);
  run.timings.emplace_back("store", seconds_since(t));
  ctx_.key_order.reference_finished(key, run.job.seq);

  ctx_.metrics.set_references(ctx_.references.size());
  ctx_.metrics.exposure_processed(ExposureKind::kReference);
  for (const auto& [stage, seconds] : run.timings) ctx_.metrics.stage_duration(stage, seconds);
  std::string line = kv("exposure", e.exposure_id) + " kind=reference " + kv("field", e.field) +
                     " " + kv("band", e.band) + " " + kv("ccd", e.ccd) +
                     " method=reference candidates=0 " +
                     kv("total_ms", ms(seconds_since(run.started)));
  for (const auto& [stage, seconds] : run.timings) line += " " + stage + "_ms=" + ms(seconds);
  if (run.job.resumed) line += " resumed=1";
  log_info(line);
}

void ExposureProcessor::process_science(Run& run, const FitsImage& fits) {
  const Envelope& e = run.job.envelope;
  const ReferenceKey key = run.job.key();
  auto t = SteadyClock::now();
  if (ctx_.key_order.wait_turn(key, run.job.seq))
    run.timings.emplace_back("wait_reference", seconds_since(t));
  auto reference = ctx_.references.get(key);
  if (!reference) {
    reject(run, {RejectReason::kNoReference, "no reference for field " + e.field + " band " +
                                                 e.band + " ccd " + std::to_string(e.ccd) +
                                                 "; send a reference exposure first"});
    return;
  }

  // A science WCS that lands off the reference is a wrong field or a broken WCS:
  // say so, rather than let the subtraction fail for want of matching stars.
  if (const auto& ref_wcs = reference->image.wcs; ref_wcs && header_has_wcs_keywords(fits)) {
    auto wcs = Wcs::from_header(fits.header, fits.header_cards);
    const Image& ri = reference->image.image;
    auto centre = wcs ? wcs->to_sky({(fits.image.width - 1) / 2.0, (fits.image.height - 1) / 2.0})
                      : Result<SkyCoord>(wcs.status());
    auto ref_centre = ref_wcs->to_sky({(ri.width - 1) / 2.0, (ri.height - 1) / 2.0});
    if (centre && ref_centre) {
      const double sep = angular_separation_arcsec(*centre, *ref_centre);
      const double reach =
          ref_wcs->pixel_scale_arcsec({(ri.width - 1) / 2.0, (ri.height - 1) / 2.0}) *
              std::hypot(ri.width, ri.height) / 2 +
          wcs->pixel_scale_arcsec({(fits.image.width - 1) / 2.0, (fits.image.height - 1) / 2.0}) *
              std::hypot(fits.image.width, fits.image.height) / 2;
      if (!(sep < reach)) {
        reject(run, {RejectReason::kBadWcs,
                     "WCS puts the image centre " + std::to_string(int(std::lround(sep / 60))) +
                         " arcmin from the reference of field " + e.field +
                         ", so they do not overlap: wrong field or broken WCS"});
        return;
      }
    }
  }

  // This detector's known defects in, what this exposure shows of them out.
  auto bad_pixels = ctx_.defects.mask(e.ccd, fits.image.width, fits.image.height);
  auto result = run.settings.pipeline->process(fits, *reference,
                                               bad_pixels ? &*bad_pixels : nullptr,
                                               stable_hash(e.exposure_id),
                                               exposure_threads(run.settings.pipeline->options().threads,
                                                                in_flight_.load()));
  if (result) ctx_.defects.observe(e.ccd, result->defects);
  if (!result) {
    reject(run, {reason_for_pipeline_error(result.status()), result.status().message()});
    return;
  }
  for (const auto& stage : result->timings) run.timings.push_back(stage);
  // The real/bogus score: the configured model, or the heuristic when there is
  // none or it cannot score; `rb_version` is what actually scored.
  t = SteadyClock::now();
  const std::string rb_version = score_real_bogus(run.settings.model.get(), result->candidates);
  run.timings.emplace_back("real_bogus", seconds_since(t));

  // Earlier exposures of this field store their detections first: they are
  // what this exposure's detections are matched against.
  t = SteadyClock::now();
  if (ctx_.key_order.wait_science_turn(key, run.job.seq))
    run.timings.emplace_back("wait_field", seconds_since(t));
  t = SteadyClock::now();
  std::string warning;
  std::vector<RoutedCandidate> routed = score_candidates(
      e, result->candidates,
      {ctx_.store, ctx_.router, anomaly_, run.settings.association, rb_version},
      warning);
  if (!warning.empty()) log_warning("exposure " + e.exposure_id + ": " + warning);
  int counts[3] = {0, 0, 0};
  int classes[kNumClasses] = {};
  std::vector<FakeRow> fakes;
  for (const InjectedFake& f : result->fakes)
    fakes.push_back({f.index, f.x, f.y, f.flux, f.mag, f.near_host, ""});
  for (RoutedCandidate& r : routed) {
    const int fake = r.measured.fake_index;
    if (fake >= 0 && size_t(fake) < fakes.size()) {
      fakes[size_t(fake)].candidate_id = r.candidate_id;
      r.route_reason = "injected fake (" + r.route_reason + "); kept for training, never published";
    } else {
      counts[int(r.route)] += 1;
      classes[int(r.classes.best())] += 1;
    }
  }
  run.timings.emplace_back("classify", seconds_since(t));
  t = SteadyClock::now();
  choose_subjects(routed, run.settings.artefact_subjects_per_exposure);
  if (result->products)
    for (RoutedCandidate& r : routed)
      if (r.route == Route::kAlert || r.subject)
        r.cutouts = make_cutouts(*result->products, r.measured.x, r.measured.y);
  run.timings.emplace_back("cutouts", seconds_since(t));

  t = SteadyClock::now();
  ExposureOutcome outcome{result->method, result->noise_ratio, unix_now(), result->limiting_mag};
  if (Status s = ctx_.store.finish_science(e.exposure_id, outcome, routed, fakes); !s) {
    log_error("exposure " + e.exposure_id +
              ": cannot store candidates (left for the next start): " + s.message());
    return;
  }
  run.timings.emplace_back("store", seconds_since(t));

  t = SteadyClock::now();
  std::vector<OutgoingMessage> batch;
  batch.reserve(routed.size());
  for (const RoutedCandidate& r : routed)
    if (r.measured.fake_index < 0)
      for (OutgoingMessage& m : candidate_messages(e, result->method, r, ctx_.sink.forms()))
        batch.push_back(std::move(m));
  if (Status s = ctx_.sink.publish(std::move(batch)); !s)
    log_error("exposure " + e.exposure_id + ": " + s.message());
  run.timings.emplace_back("publish", seconds_since(t));
  if (Status s = ctx_.spool.remove_spooled(e.exposure_id); !s) log_warning(s.message());

  ctx_.metrics.exposure_processed(ExposureKind::kScience);
  for (Route r : {Route::kAlert, Route::kReview, Route::kRejected})
    ctx_.metrics.candidates_routed(r, counts[int(r)]);
  for (int k = 0; k < kNumClasses; ++k) ctx_.metrics.candidates_classified(CandidateClass(k), classes[k]);
  for (const auto& [stage, seconds] : run.timings) ctx_.metrics.stage_duration(stage, seconds);
  const double published = unix_now();
  const double latency = std::max(0.0, published - run.job.received_unix);
  ctx_.metrics.exposure_duration(latency);
  ctx_.metrics.shutter_to_publish(e.mjd_obs, e.exptime_s, published);
  ctx_.metrics.difference_noise_ratio(result->noise_ratio);
  int recovered = 0;
  for (const FakeRow& f : fakes) recovered += f.candidate_id.empty() ? 0 : 1;
  ctx_.metrics.fakes(int(fakes.size()), recovered);

  char noise[32];
  std::snprintf(noise, sizeof noise, "%.3f", result->noise_ratio);
  std::string line = kv("exposure", e.exposure_id) + " kind=science " + kv("field", e.field) + " " +
                     kv("band", e.band) + " " + kv("ccd", e.ccd) + " " +
                     kv("method", result->method) + " " +
                     kv("candidates", routed.size() - size_t(recovered)) + " " +
                     kv("alert", counts[int(Route::kAlert)]) + " " +
                     kv("review", counts[int(Route::kReview)]) + " " +
                     kv("rejected", counts[int(Route::kRejected)]) + " noise_ratio=" + noise + " " +
                     kv("matched_stars", result->matched_stars) + " " +
                     (fakes.empty() ? std::string()
                                    : kv("fakes", std::to_string(recovered) + "/" +
                                                      std::to_string(fakes.size())) +
                                          " ") +
                     kv("total_ms", ms(seconds_since(run.started))) + " " +
                     kv("latency_ms", ms(latency));
  for (const auto& [stage, seconds] : run.timings) line += " " + stage + "_ms=" + ms(seconds);
  if (run.job.resumed) line += " resumed=1";
  log_info(line);

  // After the line, so that a refit's time is not counted against this exposure.
  std::string fitted = anomaly_.refit_if_due(ctx_.store, run.settings.anomaly, unix_now());
  if (!fitted.empty()) log_info(fitted);
}

void ExposureProcessor::reject(Run& run, Rejection rejection) {
  const Envelope& e = run.job.envelope;
  std::string raw = e.to_json();
  RejectedInput in;
  in.envelope = &e;
  in.raw_envelope = raw;
  if (run.payload) in.payload = run.payload->bytes();
  in.received_unix = run.job.received_unix;
  in.record = true;
  ctx_.rejecter.reject(rejection, in);
  if (Status s = ctx_.spool.remove_spooled(e.exposure_id); !s) log_warning(s.message());
  if (e.kind == ExposureKind::kReference)
    ctx_.key_order.reference_finished(run.job.key(), run.job.seq);
}

}  // namespace blink
