#include "sim_labels.h"

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>

#include "bad_pixels.h"
#include "pipeline.h"
#include "survey.h"
#include "truth_match.h"

namespace blink::train {
namespace {

// FNV-1a: where this exposure's fakes go, the same on every machine.
uint64_t stable_seed(const std::string& text) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ULL;
  return h;
}

}  // namespace

Status label_sim_nights(const SimNights& nights, std::vector<LabelledCandidate>& out,
                        const std::function<void(const std::string&)>& progress) {
  PipelineOptions po;
  po.threads = nights.threads;
  po.fakes.per_exposure = nights.fakes_per_exposure;
  const DifferencePipeline pipeline(po);
  for (uint64_t seed : nights.seeds) {
    sim::SimConfig cfg;
    cfg.seed = seed, cfg.fields = nights.fields, cfg.epochs = nights.epochs;
    cfg.width = cfg.height = nights.size;
    cfg.threads = nights.threads;
    if (Status s = sim::validate(cfg); !s) return s.with_context("simulated night");
    sim::SurveySimulator survey(cfg);
    std::map<std::string, BadPixelModel> defects;
    std::map<std::string, std::shared_ptr<const PreparedReference>> refs;
    const int total = survey.total_exposures();
    sim::SimExposure exp;
    for (int n = 1; survey.next(exp); ++n) {
      const auto t0 = std::chrono::steady_clock::now();
      auto bytes = sim::to_fits(exp);
      if (!bytes) return bytes.status().with_context(exp.exposure_id);
      auto fits = decode_fits(bytes->data(), bytes->size());
      if (!fits) return fits.status().with_context(exp.exposure_id);
      const std::string key = exp.field + "/" + exp.band + "/" + std::to_string(exp.ccd);
      if (exp.kind == "reference") {
        auto ref = pipeline.prepare_reference(*fits);
        if (!ref) return ref.status().with_context(exp.exposure_id);
        refs[key] = *ref;
        continue;
      }
      auto& model = defects.try_emplace(key, fits->image.width, fits->image.height).first->second;
      const Mask bad = model.mask();
      const std::string group = "sim" + std::to_string(seed) + "/" + exp.exposure_id;
      auto res = pipeline.process(*fits, *refs.at(key), &bad, stable_seed(group));
      if (!res) {
        // A failed subtraction gives no candidates, as in blinkd; the night goes on.
        progress("seed " + std::to_string(seed) + " " + exp.exposure_id + ": " +
                 res.status().message());
        continue;
      }
      model.observe(res->defects);
      const auto kinds = bench::candidate_truth_kinds(res->candidates, exp.truth);
      int real = 0, fakes = 0;
      for (size_t i = 0; i < res->candidates.size(); ++i) {
        LabelledCandidate l;
        l.candidate = res->candidates[i];
        l.group = group;
        if (l.candidate.fake_index >= 0) {
          l.real = true, l.source = "fake";
          ++fakes;
        } else {
          l.real = bench::is_real_change(kinds[i]);
          l.source = "sim_" + kinds[i];
          real += l.real ? 1 : 0;
        }
        out.push_back(std::move(l));
      }
      char line[200];
      std::snprintf(line, sizeof line, "seed %llu [%d/%d] %s: %zu candidates, %d real, %d fakes (%.1f s)",
                    (unsigned long long)seed, n, total, exp.exposure_id.c_str(),
                    res->candidates.size(), real, fakes,
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      progress(line);
    }
    if (!survey.status()) return survey.status().with_context("simulator");
  }
  return Status::ok();
}

}  // namespace blink::train
