#include "realbogus_model.h"

#include <xgboost/c_api.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "realbogus.h"

namespace blink {
namespace {

// XGBoost's C API reports errors as -1 plus a thread-local message; this is
// the one place that turns them into a Status.
Status xgb_status(int rc, const std::string& doing) {
  if (rc == 0) return Status::ok();
  return Status::internal(doing + ": XGBoost: " + XGBGetLastError());
}

uint64_t fnv1a(std::string_view bytes, uint64_t h = 1469598103934665603ULL) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

nlohmann::ordered_json calibration_json(const Calibration& c) {
  return {{"method", c.method}, {"x", c.x}, {"y", c.y}};
}

std::string short_hash(const std::string& booster_json, const Calibration& calibration) {
  uint64_t h = fnv1a(nlohmann::json(real_bogus_feature_names()).dump());
  h = fnv1a(calibration_json(calibration).dump(), h);
  h = fnv1a(booster_json, h);
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", (unsigned long long)h);
  return std::string(buf, 8);
}

// Features that differ between a model file and this build, in words.
std::string feature_mismatch(const nlohmann::ordered_json& features) {
  const auto& ours = real_bogus_feature_names();
  if (!features.is_array()) return "\"features\" is not an array of names";
  std::vector<std::string> theirs;
  for (const auto& f : features) {
    if (!f.is_string()) return "\"features\" holds a non-string";
    theirs.push_back(f.get<std::string>());
  }
  if (theirs == ours) return "";
  std::string list;
  for (const auto& f : ours) list += (list.empty() ? "" : ",") + f;
  return "it was trained on " + std::to_string(theirs.size()) +
         " features that differ from this build's " + std::to_string(ours.size()) + " (" + list +
         "): retrain it with blink-train";
}

}  // namespace

RealBogusModel::~RealBogusModel() {
  if (booster_) XGBoosterFree(booster_);
}

Result<std::shared_ptr<const RealBogusModel>> RealBogusModel::build(
    const std::string& booster_json, Calibration calibration, nlohmann::ordered_json training,
    std::string version, const std::string& origin) {
  if (std::string p = calibration.problem(); !p.empty())
    return Status::corrupt(origin + ": " + p);
  std::shared_ptr<RealBogusModel> m(new RealBogusModel());
  BoosterHandle h = nullptr;
  if (Status s = xgb_status(XGBoosterCreate(nullptr, 0, &h), "creating a booster"); !s)
    return s.with_context(origin);
  m->booster_ = h;
  Status s = xgb_status(
      XGBoosterLoadModelFromBuffer(h, booster_json.data(), bst_ulong(booster_json.size())),
      "loading the booster");
  if (!s) return s.with_context(origin);
  // Prediction runs inside a worker that already has its own thread budget.
  XGBoosterSetParam(h, "nthread", "1");
  XGBoosterSetParam(h, "verbosity", "0");
  bst_ulong n_features = 0;
  if (Status f = xgb_status(XGBoosterGetNumFeature(h, &n_features), "reading the booster"); !f)
    return f.with_context(origin);
  if (n_features != real_bogus_feature_names().size())
    return Status::corrupt(origin + ": the booster expects " + std::to_string(n_features) +
                           " features, the file lists " +
                           std::to_string(real_bogus_feature_names().size()));
  m->version_ = std::move(version);
  m->calibration_ = std::move(calibration);
  m->training_ = std::move(training);
  m->booster_json_ = booster_json;
  return std::shared_ptr<const RealBogusModel>(std::move(m));
}

Result<std::shared_ptr<const RealBogusModel>> RealBogusModel::assemble(
    const std::string& booster_json, Calibration calibration, nlohmann::ordered_json training,
    const std::string& date) {
  // The canonical text (as a load would see it), so a saved and re-loaded
  // model is byte for byte the one trained.
  nlohmann::json booster;
  try {
    booster = nlohmann::json::parse(booster_json);
  } catch (const nlohmann::json::exception& e) {
    return Status::internal(std::string("XGBoost wrote a model that is not JSON: ") + e.what());
  }
  const std::string canonical = booster.dump();
  std::string version = "rb-" + date + "-" + short_hash(canonical, calibration);
  return build(canonical, std::move(calibration), std::move(training), std::move(version),
               "trained model");
}

Result<std::shared_ptr<const RealBogusModel>> RealBogusModel::parse(std::string_view text,
                                                                    const std::string& origin) {
  // Ordered, so that a loaded model writes back the very text it was read from.
  nlohmann::ordered_json j;
  try {
    j = nlohmann::ordered_json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    return Status::corrupt(origin + ": not a real/bogus model file: not valid JSON (" + e.what() +
                           ")");
  }
  if (!j.is_object() || !j.contains("format"))
    return Status::corrupt(origin + ": not a real/bogus model file: no \"format\" (expected \"" +
                           kRealBogusModelFormat + "\")");
  if (j["format"] != kRealBogusModelFormat)
    return Status::corrupt(origin + ": unsupported model format " + j["format"].dump() +
                           " (this build reads \"" + kRealBogusModelFormat + "\")");
  for (const char* key : {"version", "features", "calibration", "booster"})
    if (!j.contains(key)) return Status::corrupt(origin + ": the model has no \"" + key + "\"");
  if (!j["version"].is_string() || j["version"].get<std::string>().empty())
    return Status::corrupt(origin + ": \"version\" must be a non-empty string");
  if (std::string m = feature_mismatch(j["features"]); !m.empty())
    return Status::corrupt(origin + ": " + m);
  Calibration c;
  try {
    const auto& cal = j["calibration"];
    c.method = cal.at("method").get<std::string>();
    c.x = cal.at("x").get<std::vector<double>>();
    c.y = cal.at("y").get<std::vector<double>>();
  } catch (const nlohmann::json::exception& e) {
    return Status::corrupt(origin + ": \"calibration\" is malformed (" + e.what() + ")");
  }
  if (!j["booster"].is_object())
    return Status::corrupt(origin + ": \"booster\" must be XGBoost's JSON model (an object)");
  nlohmann::ordered_json training =
      j.contains("training") ? j["training"] : nlohmann::ordered_json::object();
  return build(j["booster"].dump(), std::move(c), std::move(training),
               j["version"].get<std::string>(), origin);
}

Result<std::shared_ptr<const RealBogusModel>> RealBogusModel::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::io_error("cannot read the real/bogus model " + path);
  std::stringstream text;
  text << in.rdbuf();
  if (!in.good() && !in.eof()) return Status::io_error("error reading the real/bogus model " + path);
  return parse(text.str(), path);
}

Result<std::vector<double>> RealBogusModel::raw_scores(
    const std::vector<Candidate>& candidates) const {
  std::vector<double> out;
  if (candidates.empty()) return out;
  const size_t cols = real_bogus_feature_names().size();
  std::vector<float> rows;
  rows.reserve(candidates.size() * cols);
  for (const Candidate& c : candidates) append_real_bogus_features(c, rows);
  std::lock_guard lock(predict_mutex_);
  DMatrixHandle dm = nullptr;
  if (Status s = xgb_status(XGDMatrixCreateFromMat(rows.data(), bst_ulong(candidates.size()),
                                                   bst_ulong(cols),
                                                   std::numeric_limits<float>::quiet_NaN(), &dm),
                            "building the feature matrix");
      !s)
    return s;
  const char* config =
      R"({"type": 0, "training": false, "iteration_begin": 0, "iteration_end": 0, "strict_shape": false})";
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* result = nullptr;
  Status s = xgb_status(XGBoosterPredictFromDMatrix(booster_, dm, config, &shape, &dim, &result),
                        "predicting");
  if (s) {
    bst_ulong n = 1;
    for (bst_ulong i = 0; i < dim; ++i) n *= shape[i];
    if (n != candidates.size()) {
      s = Status::internal("XGBoost returned " + std::to_string(n) + " scores for " +
                           std::to_string(candidates.size()) + " candidates");
    } else {
      out.assign(result, result + n);
    }
  }
  XGDMatrixFree(dm);
  if (!s) return s.with_context("real/bogus model " + version_);
  return out;
}

Result<std::vector<double>> RealBogusModel::score(const std::vector<Candidate>& candidates) const {
  auto raw = raw_scores(candidates);
  if (!raw) return raw;
  for (double& p : *raw) p = calibration_.apply(p);
  return raw;
}

std::string RealBogusModel::to_json() const {
  // Metadata one key per line (readable, diffable); the booster compact.
  nlohmann::ordered_json features = real_bogus_feature_names();
  std::string out = "{\n";
  out += "  \"format\": " + nlohmann::json(kRealBogusModelFormat).dump() + ",\n";
  out += "  \"version\": " + nlohmann::json(version_).dump() + ",\n";
  out += "  \"features\": " + features.dump() + ",\n";
  out += "  \"calibration\": " + calibration_json(calibration_).dump() + ",\n";
  out += "  \"training\": " + training_.dump() + ",\n";
  out += "  \"booster\": " + booster_json_ + "\n}\n";
  return out;
}

Status RealBogusModel::save(const std::string& path) const {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Status::io_error("cannot write " + tmp);
    out << to_json();
    out.flush();
    if (!out) return Status::io_error("error writing " + tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Status::io_error("cannot rename " + tmp + " to " + path + ": " + ec.message());
  return Status::ok();
}

std::string score_real_bogus(const RealBogusModel* model, std::vector<Candidate>& candidates) {
  if (model) {
    if (auto p = model->score(candidates)) {
      for (size_t i = 0; i < candidates.size(); ++i) candidates[i].real_bogus = (*p)[i];
      return model->version();
    }
  }
  for (Candidate& c : candidates) c.real_bogus = heuristic_real_bogus(c);
  return kHeuristicRealBogusVersion;
}

}  // namespace blink
