// load_model: opens a GGUF file or a Hugging Face folder (config.json + *.safetensors) and returns
// a Model that owns the mapping(s) and exposes the spec and the weights as views into them.
//
// One Model is shared (read-only) by every instance of the process: the weights exist once, in the
// page cache. A Model is immutable after load and safe to read from many threads.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/core/status.h"
#include "engine/model/gguf.h"
#include "engine/model/model_spec.h"
#include "engine/model/model_weights.h"
#include "engine/model/safetensors.h"

namespace asc {

enum class ModelFormat { kGguf, kSafetensors };

const char* model_format_name(ModelFormat format);

class Model {
 public:
  /// Takes ownership of the file(s) the weights point into. Invariant: every view in `weights`
  /// points into `gguf` or one of `shards` (heap objects, so moving the Model keeps them valid).
  Model(ModelSpec spec, ModelWeights weights, std::unique_ptr<GgufFile> gguf,
        std::vector<std::unique_ptr<SafetensorsFile>> shards, std::string path);
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const ModelSpec& spec() const { return spec_; }
  const ModelWeights& weights() const { return weights_; }
  /// The GGUF file (metadata for the tokenizer and chat template); nullptr for safetensors.
  const GgufFile* gguf() const { return gguf_.get(); }
  /// The safetensors shards; empty for GGUF.
  const std::vector<std::unique_ptr<SafetensorsFile>>& shards() const { return shards_; }
  /// The path given to load_model (the .gguf file or the HF folder).
  const std::string& path() const { return path_; }
  ModelFormat format() const { return gguf_ ? ModelFormat::kGguf : ModelFormat::kSafetensors; }

 private:
  ModelSpec spec_;
  ModelWeights weights_;
  std::unique_ptr<GgufFile> gguf_;
  std::vector<std::unique_ptr<SafetensorsFile>> shards_;
  std::string path_;
};

/// Loads a .gguf file (recognised by its magic) or a HF folder. NOT_FOUND with the path when it
/// does not exist; INVALID_ARGUMENT when it is neither; otherwise the reader's or binder's error.
StatusOr<std::unique_ptr<Model>> load_model(const std::string& path);

/// A GGUF file: spec from metadata, weights bound by GGUF names.
StatusOr<std::unique_ptr<Model>> load_gguf_model(const std::string& path);

/// A HF folder: spec from config.json (rope layout NeoX), shards from
/// model.safetensors.index.json when present, else every *.safetensors file in the folder.
StatusOr<std::unique_ptr<Model>> load_safetensors_model(const std::string& dir);

}  // namespace asc
