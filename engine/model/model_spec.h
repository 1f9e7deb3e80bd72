// ModelSpec: the hyperparameters of a decoder-only transformer of the llama family, read from GGUF
// metadata (`<arch>.*` keys) or from a Hugging Face config.json.
//
// The llama family covers llama, mistral and qwen2: RMSNorm, rotary position embedding, grouped-query
// attention, SwiGLU FFN; qwen2 adds biases on Q, K and V. Unknown architectures are UNIMPLEMENTED.
//
// Rotary layout matters because llama.cpp's converter permutes the rows of Q and K of llama models:
//  - kNormal: rotate adjacent pairs (x[2i], x[2i+1]) -- llama.cpp's "norm" mode, right for llama
//    and mistral GGUF files (whose Q/K rows were permuted at conversion);
//  - kNeox: rotate halves (x[i], x[i + rope_dim/2]) -- Hugging Face's rotate_half, right for every
//    safetensors checkpoint and for qwen2 GGUF files (never permuted).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "engine/core/status.h"

namespace asc {

class GgufFile;

enum class ArchFamily { kLlama };
enum class RopeLayout { kNormal, kNeox };
enum class RopeScalingType { kNone, kLinear, kYarn, kLlama3 };

const char* rope_layout_name(RopeLayout layout);
const char* rope_scaling_type_name(RopeScalingType type);

/// Rotary scaling as the metadata gives it; fields not given keep their defaults.
/// Position p is rotated by angle p * freq_i where freq_i = theta^(-2i/rope_dim), then:
///  kLinear: freq_i /= factor.  kLlama3 / kYarn: the published per-frequency formulas with these
///  parameters. A GGUF llama3 model instead carries the factors baked into `rope_freqs.weight`
///  (ModelWeights::rope_freqs) and reports kNone here, as llama.cpp does.
struct RopeScaling {
  RopeScalingType type = RopeScalingType::kNone;
  float factor = 1.0f;
  int32_t original_context_length = 0;  // 0 = not given
  float low_freq_factor = 1.0f;         // llama3
  float high_freq_factor = 4.0f;        // llama3
  float beta_fast = 32.0f;              // yarn
  float beta_slow = 1.0f;               // yarn
  float attn_factor = 1.0f;             // yarn (GGUF rope.scaling.attn_factor)
};

struct ModelSpec {
  std::string architecture;   // as written in the file: "llama", "mistral", "qwen2"
  ArchFamily family = ArchFamily::kLlama;
  int32_t hidden_size = 0;    // embedding width
  int32_t num_layers = 0;
  int32_t num_heads = 0;      // query heads
  int32_t num_kv_heads = 0;   // key/value heads (grouped-query attention)
  int32_t head_dim = 0;
  int32_t ffn_size = 0;       // SwiGLU intermediate width
  int32_t vocab_size = 0;
  int32_t context_length = 0; // trained context (max positions)
  int32_t sliding_window = 0; // 0 = full attention (mistral configs may set it)
  float rms_eps = 1e-5f;
  float rope_theta = 10000.0f;
  int32_t rope_dim = 0;       // rotated dims per head (<= head_dim, even)
  RopeLayout rope_layout = RopeLayout::kNormal;
  RopeScaling rope_scaling;
  bool tied_embeddings = false;  // output projection is token_embd
  bool qkv_bias = false;         // Q, K, V projections have biases

  int32_t q_size() const { return num_heads * head_dim; }      // width of Q
  int32_t kv_size() const { return num_kv_heads * head_dim; }  // width of K and of V

  /// Internal consistency: positive sizes in sane ranges, heads divisible by kv heads, even
  /// rope_dim <= head_dim. INVALID_ARGUMENT naming the field otherwise.
  Status validate() const;
  /// One line for logs: "llama 30L h576 q9 kv3 d64 ffn1536 vocab49152 ctx8192 rope=normal".
  std::string summary() const;
};

/// Maps an architecture name to its family; UNIMPLEMENTED naming it when unknown.
StatusOr<ArchFamily> arch_family(std::string_view architecture);

/// From GGUF metadata and tensor table (tied embeddings: no `output.weight`; qkv bias:
/// `blk.0.attn_q.bias` present). Missing required keys are DATA_LOSS naming the key.
StatusOr<ModelSpec> spec_from_gguf(const GgufFile& gguf);

/// From a parsed Hugging Face config.json (model_type llama/mistral/qwen2). Rope layout is NeoX.
/// Missing required fields are INVALID_ARGUMENT naming the field.
StatusOr<ModelSpec> spec_from_hf_config(const nlohmann::json& config);

/// Reads and parses a config.json file, then spec_from_hf_config().
StatusOr<ModelSpec> spec_from_hf_config_file(const std::string& path);

}  // namespace asc
