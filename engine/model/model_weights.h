// ModelWeights: the tensors of a llama-family model by role, as views into the mapped file(s).
//
// Shapes are GGUF order ({in_features, out_features} for a matrix y = W x; see tensor.h). Weights
// stay memory-mapped and in their stored type (quantized, F16, BF16 or F32): nothing is
// dequantized or copied at load. bind_weights() checks every shape against the ModelSpec.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/status.h"
#include "engine/model/model_spec.h"
#include "engine/model/tensor.h"

namespace asc {

struct LayerWeights {
  TensorView attn_norm;            // {hidden}
  TensorView wq;                   // {hidden, num_heads * head_dim}
  TensorView wk;                   // {hidden, num_kv_heads * head_dim}
  TensorView wv;                   // {hidden, num_kv_heads * head_dim}
  TensorView wo;                   // {num_heads * head_dim, hidden}
  std::optional<TensorView> bq;    // {num_heads * head_dim}, present iff spec.qkv_bias
  std::optional<TensorView> bk;    // {num_kv_heads * head_dim}
  std::optional<TensorView> bv;    // {num_kv_heads * head_dim}
  TensorView ffn_norm;             // {hidden}
  TensorView ffn_gate;             // {hidden, ffn}
  TensorView ffn_up;               // {hidden, ffn}
  TensorView ffn_down;             // {ffn, hidden}
};

struct ModelWeights {
  TensorView token_embd;                // {hidden, vocab}: row t is token t's embedding
  TensorView output_norm;               // {hidden}
  TensorView output;                    // {hidden, vocab}; the same view as token_embd when tied
  std::optional<TensorView> rope_freqs; // {rope_dim / 2} frequency divisors (llama3 GGUF files)
  std::vector<LayerWeights> layers;     // [num_layers]
};

/// Which file format's tensor names to look up.
enum class WeightNaming { kGguf, kHf };

/// Finds a tensor by its file name; nullptr when absent.
using TensorLookup = std::function<const TensorView*(std::string_view name)>;

/// Names of the per-model and per-layer tensors in a format, e.g. ("attn_q.weight", 3) ->
/// "blk.3.attn_q.weight" (GGUF) or "model.layers.3.self_attn.q_proj.weight" (HF). `role` is the
/// GGUF short name; layer < 0 for the per-model tensors ("token_embd.weight", ...).
std::string weight_name(WeightNaming naming, std::string_view role, int layer);

/// Binds every role to its tensor and checks shapes and types against the spec. DATA_LOSS naming
/// the tensor when one is missing or has the wrong shape; norms and biases must be F32/F16/BF16.
StatusOr<ModelWeights> bind_weights(const ModelSpec& spec, WeightNaming naming,
                                    const TensorLookup& lookup);

}  // namespace asc
