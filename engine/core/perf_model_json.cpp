// PerfModel JSON I/O (the profile file format, "ascendra-perf-model-v2").
// v1 files (five features, before the weight-pass feature) still load: their fits are padded with
// the new feature switched off, so they predict exactly what they did.
#include <fstream>
#include <vector>
#include <sstream>

#include <nlohmann/json.hpp>

#include "engine/core/gpu_profiles.h"
#include "engine/core/perf_model.h"

namespace asc {
namespace {

constexpr const char* kFormat = "ascendra-perf-model-v2";
constexpr const char* kFormatV1 = "ascendra-perf-model-v1";
constexpr size_t kNumFeaturesV1 = 5;
constexpr const char* kKindKeys[3] = {"prefill", "decode", "mixed"};

nlohmann::json shape_to_json(const ModelShape& m) {
  return {{"name", m.name}, {"hidden", m.hidden}, {"ffn", m.ffn}, {"num_layers", m.num_layers},
          {"num_heads", m.num_heads}, {"num_kv_heads", m.num_kv_heads}, {"head_dim", m.head_dim},
          {"vocab", m.vocab}, {"weight_bytes_per_param", m.weight_bytes_per_param},
          {"kv_bytes_per_elem", m.kv_bytes_per_elem}, {"weight_tile_rows", m.weight_tile_rows}};
}

ModelShape shape_from_json(const nlohmann::json& j) {
  ModelShape m;
  m.name = j.at("name").get<std::string>();
  m.hidden = j.at("hidden").get<int32_t>();
  m.ffn = j.at("ffn").get<int32_t>();
  m.num_layers = j.at("num_layers").get<int32_t>();
  m.num_heads = j.at("num_heads").get<int32_t>();
  m.num_kv_heads = j.at("num_kv_heads").get<int32_t>();
  m.head_dim = j.at("head_dim").get<int32_t>();
  m.vocab = j.at("vocab").get<int32_t>();
  m.weight_bytes_per_param = j.at("weight_bytes_per_param").get<double>();
  m.kv_bytes_per_elem = j.at("kv_bytes_per_elem").get<double>();
  m.weight_tile_rows = j.value("weight_tile_rows", 0);
  return m;
}

// Reads one kind's fit with `n` features per row (n <= kNumPerfFeatures); the missing features
// stay off (coefficient, mask and covariance 0). False when the arrays have the wrong length.
bool fit_from_json(const nlohmann::json& f, size_t n, PerfFit& out) {
  const auto coef = f.at("coef").get<std::vector<double>>();
  const auto mask = f.at("mask").get<std::vector<bool>>();
  const auto p = f.at("rls_p").get<std::vector<double>>();
  if (coef.size() != n || mask.size() != n || p.size() != n * n) return false;
  for (size_t i = 0; i < n; ++i) {
    out.coef[i] = coef[i];
    out.mask[i] = mask[i];
    for (size_t k = 0; k < n; ++k) out.rls_p[i * kNumPerfFeatures + k] = p[i * n + k];
  }
  out.num_samples = f.at("num_samples").get<int32_t>();
  out.train_mape = f.value("train_mape", 0.0);
  return true;
}

}  // namespace

nlohmann::json PerfModel::to_json() const {
  nlohmann::json fits = nlohmann::json::object();
  for (int k = 0; k < 3; ++k) {
    const PerfFit& f = fits_[static_cast<size_t>(k)];
    fits[kKindKeys[k]] = {{"coef", f.coef}, {"mask", f.mask}, {"rls_p", f.rls_p},
                          {"num_samples", f.num_samples}, {"train_mape", f.train_mape}};
  }
  return {{"format", kFormat}, {"device", device}, {"num_kv_blocks", num_kv_blocks},
          {"model", shape_to_json(shape_)}, {"fits", fits}, {"online_error", online_error_}};
}

StatusOr<PerfModel> PerfModel::from_json(const nlohmann::json& j) {
  try {
    const std::string format = j.value("format", std::string());
    if (format != kFormat && format != kFormatV1) {
      return data_loss("not an ascendra perf model (format '" + format + "', expected " + kFormat + ")");
    }
    const size_t n = format == kFormatV1 ? kNumFeaturesV1 : static_cast<size_t>(kNumPerfFeatures);
    PerfModel m(shape_from_json(j.at("model")));
    if (format == kFormatV1) m.shape_.weight_tile_rows = 0;  // v1 has no weight-pass feature
    m.device = j.value("device", std::string());
    m.num_kv_blocks = j.value("num_kv_blocks", 0);
    for (int k = 0; k < 3; ++k) {
      const nlohmann::json& f = j.at("fits").at(kKindKeys[k]);
      if (!fit_from_json(f, n, m.fits_[static_cast<size_t>(k)])) {
        return data_loss(std::string("bad perf model JSON: the ") + kKindKeys[k] + " fit does not have " +
                         std::to_string(n) + " features as format " + format + " requires");
      }
    }
    return m;
  } catch (const nlohmann::json::exception& e) {
    return data_loss(std::string("bad perf model JSON: ") + e.what());
  }
}

StatusOr<PerfModel> load_perf_model(const std::string& file_or_name) {
  for (const std::string& name : builtin_profile_names()) {
    if (name == file_or_name) return builtin_profile(name);
  }
  std::ifstream in(file_or_name);
  if (!in) return not_found("no profile file or built-in profile named '" + file_or_name + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (j.is_discarded()) return data_loss("profile '" + file_or_name + "' is not valid JSON");
  if (j.is_object() && j.contains("perf_model")) return PerfModel::from_json(j.at("perf_model"));
  return PerfModel::from_json(j);
}

Status save_perf_model(const PerfModel& model, const std::string& path) {
  std::ofstream out(path);
  if (!out) return not_found("cannot write '" + path + "'");
  out << model.to_json().dump(2) << "\n";
  return out ? Status::ok() : data_loss("write failed: " + path);
}

}  // namespace asc
