// Binding of model tensors to roles, with shape checks against the spec.
#include "engine/model/model_weights.h"

#include <array>
#include <map>

namespace asc {

namespace {

// GGUF short name -> HF name (per-layer names get "model.layers.N." prepended).
const std::map<std::string_view, std::string_view>& hf_names() {
  static const std::map<std::string_view, std::string_view> kNames = {
      {"token_embd.weight", "model.embed_tokens.weight"},
      {"output_norm.weight", "model.norm.weight"},
      {"output.weight", "lm_head.weight"},
      {"rope_freqs.weight", "rope_freqs.weight"},
      {"attn_norm.weight", "input_layernorm.weight"},
      {"attn_q.weight", "self_attn.q_proj.weight"},
      {"attn_k.weight", "self_attn.k_proj.weight"},
      {"attn_v.weight", "self_attn.v_proj.weight"},
      {"attn_output.weight", "self_attn.o_proj.weight"},
      {"attn_q.bias", "self_attn.q_proj.bias"},
      {"attn_k.bias", "self_attn.k_proj.bias"},
      {"attn_v.bias", "self_attn.v_proj.bias"},
      {"ffn_norm.weight", "post_attention_layernorm.weight"},
      {"ffn_gate.weight", "mlp.gate_proj.weight"},
      {"ffn_up.weight", "mlp.up_proj.weight"},
      {"ffn_down.weight", "mlp.down_proj.weight"},
  };
  return kNames;
}

std::string shape_string(const std::array<int64_t, 4>& s, int dims) {
  std::string out = "[";
  for (int i = 0; i < dims; ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

bool is_float_type(DType t) { return t == DType::kF32 || t == DType::kF16 || t == DType::kBF16; }

// Looks up one role and checks its shape (dims in GGUF order; trailing unused dims must be 1).
class Binder {
 public:
  Binder(WeightNaming naming, const TensorLookup& lookup) : naming_(naming), lookup_(lookup) {}

  /// The tensor for `role` in `layer` (-1 = per-model) with shape {d0[, d1]}.
  Status bind(std::string_view role, int layer, int64_t d0, int64_t d1, bool vector_role,
              TensorView* out) const {
    const std::string name = weight_name(naming_, role, layer);
    const TensorView* t = lookup_(name);
    if (t == nullptr) return data_loss("model lacks tensor '" + name + "'");
    const std::array<int64_t, 4> want{d0, d1, 1, 1};
    if (t->shape != want) {
      return data_loss("tensor '" + name + "' has shape " + shape_string(t->shape, 4) +
                       ", the model spec needs " + shape_string(want, 4));
    }
    if (vector_role && !is_float_type(t->type)) {
      return data_loss("tensor '" + name + "' has type " + dtype_name(t->type) +
                       ", a norm or bias must be F32, F16 or BF16");
    }
    *out = *t;
    return Status::ok();
  }

  Status bind_optional(std::string_view role, int layer, int64_t d0, bool required,
                       std::optional<TensorView>* out) const {
    if (!required && lookup_(weight_name(naming_, role, layer)) == nullptr) return Status::ok();
    TensorView t;
    ASC_RETURN_IF_ERROR(bind(role, layer, d0, 1, true, &t));
    *out = t;
    return Status::ok();
  }

 private:
  WeightNaming naming_;
  const TensorLookup& lookup_;
};

Status bind_layer(const ModelSpec& s, const Binder& b, int i, LayerWeights* l) {
  const int64_t h = s.hidden_size, q = s.q_size(), kv = s.kv_size(), f = s.ffn_size;
  ASC_RETURN_IF_ERROR(b.bind("attn_norm.weight", i, h, 1, true, &l->attn_norm));
  ASC_RETURN_IF_ERROR(b.bind("attn_q.weight", i, h, q, false, &l->wq));
  ASC_RETURN_IF_ERROR(b.bind("attn_k.weight", i, h, kv, false, &l->wk));
  ASC_RETURN_IF_ERROR(b.bind("attn_v.weight", i, h, kv, false, &l->wv));
  ASC_RETURN_IF_ERROR(b.bind("attn_output.weight", i, q, h, false, &l->wo));
  if (s.qkv_bias) {
    ASC_RETURN_IF_ERROR(b.bind_optional("attn_q.bias", i, q, true, &l->bq));
    ASC_RETURN_IF_ERROR(b.bind_optional("attn_k.bias", i, kv, true, &l->bk));
    ASC_RETURN_IF_ERROR(b.bind_optional("attn_v.bias", i, kv, true, &l->bv));
  }
  ASC_RETURN_IF_ERROR(b.bind("ffn_norm.weight", i, h, 1, true, &l->ffn_norm));
  ASC_RETURN_IF_ERROR(b.bind("ffn_gate.weight", i, h, f, false, &l->ffn_gate));
  ASC_RETURN_IF_ERROR(b.bind("ffn_up.weight", i, h, f, false, &l->ffn_up));
  return b.bind("ffn_down.weight", i, f, h, false, &l->ffn_down);
}

}  // namespace

std::string weight_name(WeightNaming naming, std::string_view role, int layer) {
  if (naming == WeightNaming::kGguf) {
    if (layer < 0) return std::string(role);
    return "blk." + std::to_string(layer) + "." + std::string(role);
  }
  auto it = hf_names().find(role);
  const std::string hf = it == hf_names().end() ? std::string(role) : std::string(it->second);
  if (layer < 0) return hf;
  return "model.layers." + std::to_string(layer) + "." + hf;
}

StatusOr<ModelWeights> bind_weights(const ModelSpec& spec, WeightNaming naming,
                                    const TensorLookup& lookup) {
  ASC_RETURN_IF_ERROR(spec.validate());
  Binder b(naming, lookup);
  ModelWeights w;
  const int64_t h = spec.hidden_size;
  ASC_RETURN_IF_ERROR(b.bind("token_embd.weight", -1, h, spec.vocab_size, false, &w.token_embd));
  ASC_RETURN_IF_ERROR(b.bind("output_norm.weight", -1, h, 1, true, &w.output_norm));
  if (spec.tied_embeddings) {
    w.output = w.token_embd;
  } else {
    ASC_RETURN_IF_ERROR(b.bind("output.weight", -1, h, spec.vocab_size, false, &w.output));
  }
  ASC_RETURN_IF_ERROR(b.bind_optional("rope_freqs.weight", -1, spec.rope_dim / 2, false, &w.rope_freqs));
  w.layers.resize(static_cast<size_t>(spec.num_layers));
  for (int i = 0; i < spec.num_layers; ++i) {
    ASC_RETURN_IF_ERROR(bind_layer(spec, b, i, &w.layers[static_cast<size_t>(i)]));
  }
  return w;
}

}  // namespace asc
