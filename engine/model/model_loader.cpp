// Model loading from a GGUF file or a Hugging Face safetensors folder.
#include "engine/model/model_loader.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

namespace asc {

namespace {

namespace fs = std::filesystem;

Status with_path(const Status& s, const std::string& path) {
  return Status(s.code(), path + ": " + s.message());
}

// True when the file starts with the GGUF magic.
bool has_gguf_magic(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  return in.read(magic, 4) && std::memcmp(magic, "GGUF", 4) == 0;
}

// The shard file names of a folder: from the index's weight_map, else every *.safetensors.
StatusOr<std::vector<std::string>> shard_names(const fs::path& dir, nlohmann::json* weight_map) {
  const fs::path index = dir / "model.safetensors.index.json";
  std::vector<std::string> names;
  std::error_code ec;
  if (fs::exists(index, ec)) {
    std::ifstream in(index);
    nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object()) {
      return data_loss(index.string() + ": not a JSON object with a 'weight_map' object");
    }
    std::set<std::string> unique;
    for (auto it = j["weight_map"].begin(); it != j["weight_map"].end(); ++it) {
      const std::string file = it->is_string() ? it->get<std::string>() : std::string();
      if (file.empty() || file.find('/') != std::string::npos || file == "." || file == "..") {
        return data_loss(index.string() + ": tensor '" + it.key() + "' maps to an invalid file name");
      }
      unique.insert(file);
    }
    *weight_map = j["weight_map"];
    names.assign(unique.begin(), unique.end());
  } else {
    for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
      if (e.is_regular_file() && e.path().extension() == ".safetensors") {
        names.push_back(e.path().filename().string());
      }
    }
    std::sort(names.begin(), names.end());
  }
  if (names.empty()) return not_found("no *.safetensors files in '" + dir.string() + "'");
  return names;
}

// Indexes the tensors of all shards by name; a name in two shards is DATA_LOSS.
StatusOr<std::map<std::string, const TensorView*, std::less<>>> index_shards(
    const std::vector<std::unique_ptr<SafetensorsFile>>& shards) {
  std::map<std::string, const TensorView*, std::less<>> index;
  for (const auto& shard : shards) {
    for (const TensorView& t : shard->tensors()) {
      if (!index.emplace(t.name, &t).second) {
        return data_loss("tensor '" + t.name + "' appears in more than one shard (again in " +
                         shard->path() + ")");
      }
    }
  }
  return index;
}

// Every tensor the index names must be in the shard it names.
Status check_weight_map(const nlohmann::json& weight_map,
                        const std::vector<std::unique_ptr<SafetensorsFile>>& shards) {
  for (auto it = weight_map.begin(); it != weight_map.end(); ++it) {
    const std::string file = it->get<std::string>();
    auto shard = std::find_if(shards.begin(), shards.end(), [&](const auto& s) {
      return fs::path(s->path()).filename() == file;
    });
    if (shard == shards.end() || (*shard)->find_tensor(it.key()) == nullptr) {
      return data_loss("model.safetensors.index.json places tensor '" + it.key() + "' in " + file +
                       ", which does not hold it");
    }
  }
  return Status::ok();
}

}  // namespace

const char* model_format_name(ModelFormat format) {
  return format == ModelFormat::kGguf ? "gguf" : "safetensors";
}

Model::Model(ModelSpec spec, ModelWeights weights, std::unique_ptr<GgufFile> gguf,
             std::vector<std::unique_ptr<SafetensorsFile>> shards, std::string path)
    : spec_(std::move(spec)),
      weights_(std::move(weights)),
      gguf_(std::move(gguf)),
      shards_(std::move(shards)),
      path_(std::move(path)) {}

StatusOr<std::unique_ptr<Model>> load_model(const std::string& path) {
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) return not_found("model path '" + path + "' does not exist");
  if (fs::is_directory(st)) return load_safetensors_model(path);
  if (fs::is_regular_file(st) && has_gguf_magic(path)) return load_gguf_model(path);
  return invalid_argument("model path '" + path + "' is neither a GGUF file nor a Hugging Face " +
                          "folder (config.json + *.safetensors)");
}

StatusOr<std::unique_ptr<Model>> load_gguf_model(const std::string& path) {
  StatusOr<std::unique_ptr<GgufFile>> gguf = GgufFile::open(path);
  if (!gguf.is_ok()) return gguf.status();
  StatusOr<ModelSpec> spec = spec_from_gguf(**gguf);
  if (!spec.is_ok()) return with_path(spec.status(), path);
  const GgufFile& g = **gguf;
  StatusOr<ModelWeights> weights = bind_weights(
      *spec, WeightNaming::kGguf, [&g](std::string_view name) { return g.find_tensor(name); });
  if (!weights.is_ok()) return with_path(weights.status(), path);
  return std::make_unique<Model>(std::move(spec).value(), std::move(weights).value(),
                                 std::move(gguf).value(),
                                 std::vector<std::unique_ptr<SafetensorsFile>>{}, path);
}

StatusOr<std::unique_ptr<Model>> load_safetensors_model(const std::string& dir) {
  const fs::path root(dir);
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return not_found("model folder '" + dir + "' does not exist");
  const fs::path config = root / "config.json";
  if (!fs::exists(config, ec)) return not_found("no config.json in model folder '" + dir + "'");
  StatusOr<ModelSpec> spec = spec_from_hf_config_file(config.string());
  if (!spec.is_ok()) return spec.status();
  nlohmann::json weight_map = nlohmann::json::object();
  StatusOr<std::vector<std::string>> names = shard_names(root, &weight_map);
  if (!names.is_ok()) return names.status();
  std::vector<std::unique_ptr<SafetensorsFile>> shards;
  for (const std::string& name : *names) {
    StatusOr<std::unique_ptr<SafetensorsFile>> shard = SafetensorsFile::open((root / name).string());
    if (!shard.is_ok()) return shard.status();
    shards.push_back(std::move(shard).value());
  }
  ASC_RETURN_IF_ERROR(check_weight_map(weight_map, shards));
  auto index = index_shards(shards);
  if (!index.is_ok()) return with_path(index.status(), dir);
  const auto& idx = *index;
  auto lookup = [&idx](std::string_view name) -> const TensorView* {
    auto it = idx.find(name);
    return it == idx.end() ? nullptr : it->second;
  };
  // Bias tensors decide qkv_bias even where the config omits attention_bias.
  if (lookup(weight_name(WeightNaming::kHf, "attn_q.bias", 0)) != nullptr) spec->qkv_bias = true;
  if (!spec->tied_embeddings && lookup("lm_head.weight") == nullptr) {
    return data_loss(dir + ": config.json says tie_word_embeddings is false but lm_head.weight is absent");
  }
  StatusOr<ModelWeights> weights = bind_weights(*spec, WeightNaming::kHf, lookup);
  if (!weights.is_ok()) return with_path(weights.status(), dir);
  return std::make_unique<Model>(std::move(spec).value(), std::move(weights).value(), nullptr,
                                 std::move(shards), dir);
}

}  // namespace asc
