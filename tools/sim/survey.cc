// SurveySimulator: walks the schedule and keeps what exposures share (the
// nominal WCS and catalogue of each field/ccd, each ccd's defects).
#include "survey.h"

#include <map>
#include <stdexcept>

#include "artefacts.h"
#include "observing.h"
#include "render_exposure.h"
#include "schedule.h"

namespace blink::sim {

struct SurveySimulator::State {
  SimConfig config;
  Schedule schedule;
  int next = 0;
  Status status;
  std::map<std::pair<int, int>, Wcs> nominal;
  std::map<std::pair<int, int>, FieldCatalogue> catalogues;
  std::map<int, DetectorDefects> defects;

  Result<const Wcs*> nominal_wcs_of(int field, int ccd) {
    auto key = std::make_pair(field, ccd);
    auto it = nominal.find(key);
    if (it == nominal.end()) {
      auto w = nominal_wcs(config, field, ccd);
      if (!w) return w.status().with_context("nominal WCS of " + field_name(field));
      it = nominal.emplace(key, std::move(*w)).first;
    }
    return &it->second;
  }

  Result<const FieldCatalogue*> catalogue_of(int field, int ccd, const Wcs& nom) {
    auto key = std::make_pair(field, ccd);
    auto it = catalogues.find(key);
    if (it == catalogues.end()) {
      auto c = make_catalogue(config.seed, field, ccd, config.width, config.height, nom,
                              schedule.science);
      if (!c) return c.status().with_context("catalogue of " + field_name(field));
      it = catalogues.emplace(key, std::move(*c)).first;
    }
    return &it->second;
  }

  const DetectorDefects& defects_of(int ccd) {
    auto it = defects.find(ccd);
    if (it == defects.end()) {
      it = defects.emplace(ccd, make_defects(config.seed, ccd, config.width, config.height)).first;
    }
    return it->second;
  }

  Result<SimExposure> render(const ExposureSpec& spec);
};

Result<SimExposure> SurveySimulator::State::render(const ExposureSpec& spec) {
  auto nom = nominal_wcs_of(spec.field, spec.ccd);
  if (!nom) return nom.status();
  auto cat = catalogue_of(spec.field, spec.ccd, **nom);
  if (!cat) return cat.status();
  return render_exposure({config, spec, **cat, **nom, defects_of(spec.ccd)});
}

SurveySimulator::SurveySimulator(SimConfig config) : state_(std::make_unique<State>()) {
  if (Status s = validate(config); !s) throw std::invalid_argument(s.message());
  state_->config = std::move(config);
  state_->schedule = make_schedule(state_->config);
}

SurveySimulator::~SurveySimulator() = default;

int SurveySimulator::total_exposures() const { return int(state_->schedule.exposures.size()); }

bool SurveySimulator::next(SimExposure& out) {
  if (!state_->status || state_->next >= total_exposures()) return false;
  auto r = render(state_->next);
  if (!r) {
    state_->status = r.status();
    return false;
  }
  ++state_->next;
  out = std::move(*r);
  return true;
}

Status SurveySimulator::status() const { return state_->status; }

Result<SimExposure> SurveySimulator::render(int index) {
  if (index < 0 || index >= total_exposures()) {
    return Status::invalid("exposure index " + std::to_string(index) + " is outside the schedule");
  }
  const ExposureSpec& spec = state_->schedule.exposures[size_t(index)];
  auto r = state_->render(spec);
  if (!r) return r.status().with_context("rendering " + spec.exposure_id);
  return r;
}

const SimConfig& SurveySimulator::config() const { return state_->config; }

}  // namespace blink::sim
