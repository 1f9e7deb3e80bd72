// ModelSpec from GGUF metadata or a Hugging Face config.json, plus validation.
#include "engine/model/model_spec.h"

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

#include "engine/model/gguf.h"

namespace asc {

namespace {

constexpr int64_t kMaxSize = int64_t{1} << 24;  // upper bound for every size field (16M)

using nlohmann::json;

// An int32 GGUF field `<arch>.<name>`: DATA_LOSS when required and absent, `fallback` otherwise.
StatusOr<int32_t> gguf_int(const GgufFile& g, const std::string& key, bool required,
                           int32_t fallback) {
  if (!g.has_key(key)) {
    if (required) return data_loss("GGUF metadata lacks required key '" + key + "'");
    return fallback;
  }
  StatusOr<int64_t> v = g.get_int(key);
  if (!v.is_ok()) return v.status();
  if (*v < 0 || *v > kMaxSize) {
    return data_loss("GGUF metadata '" + key + "' = " + std::to_string(*v) + " is out of range");
  }
  return static_cast<int32_t>(*v);
}

StatusOr<float> gguf_float(const GgufFile& g, const std::string& key, float fallback) {
  if (!g.has_key(key)) return fallback;
  StatusOr<double> v = g.get_float(key);
  if (!v.is_ok()) return v.status();
  return static_cast<float>(*v);
}

Status gguf_rope_scaling(const GgufFile& g, const std::string& p, RopeScaling* r) {
  std::string type = "none";
  if (g.has_key(p + "rope.scaling.type")) {
    StatusOr<std::string> t = g.get_string(p + "rope.scaling.type");
    if (!t.is_ok()) return t.status();
    type = *t;
  }
  StatusOr<float> factor = gguf_float(g, p + "rope.scaling.factor", 1.0f);
  if (!factor.is_ok()) return factor.status();
  r->factor = *factor;
  if (g.has_key(p + "rope.scale_linear")) {  // older files
    StatusOr<float> linear = gguf_float(g, p + "rope.scale_linear", 1.0f);
    if (!linear.is_ok()) return linear.status();
    if (*linear != 1.0f) type = "linear";
    r->factor = *linear;
  }
  if (type == "none") {
    r->type = RopeScalingType::kNone;
  } else if (type == "linear") {
    r->type = RopeScalingType::kLinear;
  } else if (type == "yarn") {
    r->type = RopeScalingType::kYarn;
  } else {
    return unimplemented("rope scaling type '" + type + "' is not supported");
  }
  StatusOr<int32_t> orig = gguf_int(g, p + "rope.scaling.original_context_length", false, 0);
  StatusOr<float> attn = gguf_float(g, p + "rope.scaling.attn_factor", 1.0f);
  StatusOr<float> fast = gguf_float(g, p + "rope.scaling.yarn_beta_fast", 32.0f);
  StatusOr<float> slow = gguf_float(g, p + "rope.scaling.yarn_beta_slow", 1.0f);
  for (const Status* s : {&orig.status(), &attn.status(), &fast.status(), &slow.status()}) {
    if (!s->is_ok()) return *s;
  }
  r->original_context_length = *orig;
  r->attn_factor = *attn;
  r->beta_fast = *fast;
  r->beta_slow = *slow;
  return Status::ok();
}

// Reads the integer sizes of a GGUF spec.
Status gguf_sizes(const GgufFile& g, const std::string& p, ModelSpec* s) {
  struct Field {
    const char* key;
    int32_t* out;
    bool required;
  };
  const Field fields[] = {
      {"embedding_length", &s->hidden_size, true}, {"block_count", &s->num_layers, true},
      {"attention.head_count", &s->num_heads, true}, {"feed_forward_length", &s->ffn_size, true},
      {"context_length", &s->context_length, false},
      {"attention.sliding_window", &s->sliding_window, false},
  };
  for (const Field& f : fields) {
    StatusOr<int32_t> v = gguf_int(g, p + f.key, f.required, 0);
    if (!v.is_ok()) return v.status();
    *f.out = *v;
  }
  if (s->context_length == 0) s->context_length = 2048;
  StatusOr<int32_t> kv = gguf_int(g, p + "attention.head_count_kv", false, s->num_heads);
  if (!kv.is_ok()) return kv.status();
  s->num_kv_heads = *kv;
  const int32_t default_head_dim = s->num_heads > 0 ? s->hidden_size / s->num_heads : 0;
  StatusOr<int32_t> hd = gguf_int(g, p + "attention.key_length", false, default_head_dim);
  if (!hd.is_ok()) return hd.status();
  s->head_dim = *hd;
  StatusOr<int32_t> rd = gguf_int(g, p + "rope.dimension_count", false, s->head_dim);
  if (!rd.is_ok()) return rd.status();
  s->rope_dim = *rd;
  return Status::ok();
}

// Vocabulary size: `<arch>.vocab_size`, else the embedding's rows, else the tokenizer's list.
StatusOr<int32_t> gguf_vocab_size(const GgufFile& g, const std::string& p) {
  if (g.has_key(p + "vocab_size")) return gguf_int(g, p + "vocab_size", true, 0);
  if (const TensorView* t = g.find_tensor("token_embd.weight")) {
    if (t->shape[1] > kMaxSize) return data_loss("token_embd.weight has too many rows");
    return static_cast<int32_t>(t->shape[1]);
  }
  StatusOr<GgufEntry> e = g.entry("tokenizer.ggml.tokens");
  if (!e.is_ok()) return data_loss("GGUF gives no vocabulary size (no vocab_size, token_embd or tokens)");
  if (e->count > static_cast<uint64_t>(kMaxSize)) return data_loss("tokenizer vocabulary too large");
  return static_cast<int32_t>(e->count);
}

// Reads an integer field of a HF config. INVALID_ARGUMENT when required and absent or mistyped.
StatusOr<int32_t> hf_int(const json& c, const char* key, bool required, int32_t fallback) {
  auto it = c.find(key);
  if (it == c.end() || it->is_null()) {
    if (required) return invalid_argument(std::string("config.json lacks '") + key + "'");
    return fallback;
  }
  if (!it->is_number_integer()) return invalid_argument(std::string("config.json '") + key + "' is not an integer");
  const int64_t v = it->get<int64_t>();
  if (v < 0 || v > kMaxSize) {
    return invalid_argument(std::string("config.json '") + key + "' = " + std::to_string(v) +
                            " is out of range");
  }
  return static_cast<int32_t>(v);
}

StatusOr<float> hf_float(const json& c, const char* key, float fallback) {
  auto it = c.find(key);
  if (it == c.end() || it->is_null()) return fallback;
  if (!it->is_number()) return invalid_argument(std::string("config.json '") + key + "' is not a number");
  return it->get<float>();
}

bool hf_bool(const json& c, const char* key, bool fallback) {
  auto it = c.find(key);
  return (it != c.end() && it->is_boolean()) ? it->get<bool>() : fallback;
}

Status hf_rope_scaling(const json& c, RopeScaling* r) {
  auto it = c.find("rope_scaling");
  if (it == c.end() || it->is_null()) return Status::ok();
  if (!it->is_object()) return invalid_argument("config.json 'rope_scaling' is not an object");
  const json& rs = *it;
  std::string type;
  if (rs.contains("rope_type") && rs["rope_type"].is_string()) type = rs["rope_type"].get<std::string>();
  else if (rs.contains("type") && rs["type"].is_string()) type = rs["type"].get<std::string>();
  if (type.empty() || type == "default") r->type = RopeScalingType::kNone;
  else if (type == "linear") r->type = RopeScalingType::kLinear;
  else if (type == "llama3") r->type = RopeScalingType::kLlama3;
  else if (type == "yarn") r->type = RopeScalingType::kYarn;
  else return unimplemented("rope scaling type '" + type + "' is not supported");
  StatusOr<float> factor = hf_float(rs, "factor", 1.0f);
  StatusOr<float> low = hf_float(rs, "low_freq_factor", 1.0f);
  StatusOr<float> high = hf_float(rs, "high_freq_factor", 4.0f);
  StatusOr<float> fast = hf_float(rs, "beta_fast", 32.0f);
  StatusOr<float> slow = hf_float(rs, "beta_slow", 1.0f);
  StatusOr<float> attn = hf_float(rs, "attention_factor", 1.0f);
  StatusOr<int32_t> orig = hf_int(rs, "original_max_position_embeddings", false, 0);
  for (const Status* s : {&factor.status(), &low.status(), &high.status(), &fast.status(),
                          &slow.status(), &attn.status(), &orig.status()}) {
    if (!s->is_ok()) return *s;
  }
  r->factor = *factor;
  r->low_freq_factor = *low;
  r->high_freq_factor = *high;
  r->beta_fast = *fast;
  r->beta_slow = *slow;
  r->attn_factor = *attn;
  r->original_context_length = *orig;
  return Status::ok();
}

}  // namespace

const char* rope_layout_name(RopeLayout layout) {
  return layout == RopeLayout::kNeox ? "neox" : "normal";
}

const char* rope_scaling_type_name(RopeScalingType type) {
  switch (type) {
    case RopeScalingType::kNone: return "none";
    case RopeScalingType::kLinear: return "linear";
    case RopeScalingType::kYarn: return "yarn";
    case RopeScalingType::kLlama3: return "llama3";
  }
  return "unknown";
}

StatusOr<ArchFamily> arch_family(std::string_view architecture) {
  if (architecture == "llama" || architecture == "mistral" || architecture == "qwen2") {
    return ArchFamily::kLlama;
  }
  return unimplemented("model architecture '" + std::string(architecture) +
                       "' is not supported (supported: llama, mistral, qwen2)");
}

Status ModelSpec::validate() const {
  struct Field {
    const char* name;
    int32_t value;
  };
  const Field fields[] = {{"hidden_size", hidden_size}, {"num_layers", num_layers},
                         {"num_heads", num_heads},     {"num_kv_heads", num_kv_heads},
                         {"head_dim", head_dim},       {"ffn_size", ffn_size},
                         {"vocab_size", vocab_size},   {"context_length", context_length},
                         {"rope_dim", rope_dim}};
  for (const Field& f : fields) {
    if (f.value <= 0 || f.value > kMaxSize) {
      return invalid_argument(std::string("model spec: ") + f.name + " = " +
                              std::to_string(f.value) + " is out of range");
    }
  }
  if (num_heads % num_kv_heads != 0) {
    return invalid_argument("model spec: num_heads " + std::to_string(num_heads) +
                            " is not a multiple of num_kv_heads " + std::to_string(num_kv_heads));
  }
  if (rope_dim % 2 != 0 || rope_dim > head_dim) {
    return invalid_argument("model spec: rope_dim " + std::to_string(rope_dim) +
                            " must be even and <= head_dim " + std::to_string(head_dim));
  }
  if (!(rms_eps > 0.0f && rms_eps < 1.0f)) return invalid_argument("model spec: rms_eps out of (0, 1)");
  if (!(rope_theta > 0.0f && std::isfinite(rope_theta))) {
    return invalid_argument("model spec: rope_theta must be positive and finite");
  }
  if (!(rope_scaling.factor > 0.0f && std::isfinite(rope_scaling.factor))) {
    return invalid_argument("model spec: rope scaling factor must be positive and finite");
  }
  return Status::ok();
}

std::string ModelSpec::summary() const {
  std::ostringstream o;
  o << architecture << " " << num_layers << "L h" << hidden_size << " q" << num_heads << " kv"
    << num_kv_heads << " d" << head_dim << " ffn" << ffn_size << " vocab" << vocab_size << " ctx"
    << context_length << " rope=" << rope_layout_name(rope_layout) << " theta=" << rope_theta;
  if (rope_scaling.type != RopeScalingType::kNone) {
    o << " scaling=" << rope_scaling_type_name(rope_scaling.type) << "x" << rope_scaling.factor;
  }
  if (tied_embeddings) o << " tied";
  if (qkv_bias) o << " qkv_bias";
  return o.str();
}

StatusOr<ModelSpec> spec_from_gguf(const GgufFile& g) {
  StatusOr<std::string> arch = g.get_string("general.architecture");
  if (!arch.is_ok()) return data_loss("GGUF metadata: general.architecture: " + arch.status().message());
  StatusOr<ArchFamily> family = arch_family(*arch);
  if (!family.is_ok()) return family.status();
  ModelSpec s;
  s.architecture = *arch;
  s.family = *family;
  const std::string p = *arch + ".";
  ASC_RETURN_IF_ERROR(gguf_sizes(g, p, &s));
  StatusOr<int32_t> vocab = gguf_vocab_size(g, p);
  if (!vocab.is_ok()) return vocab.status();
  s.vocab_size = *vocab;
  StatusOr<float> eps = gguf_float(g, p + "attention.layer_norm_rms_epsilon", 1e-5f);
  StatusOr<float> theta = gguf_float(g, p + "rope.freq_base", 10000.0f);
  if (!eps.is_ok()) return eps.status();
  if (!theta.is_ok()) return theta.status();
  s.rms_eps = *eps;
  s.rope_theta = *theta;
  ASC_RETURN_IF_ERROR(gguf_rope_scaling(g, p, &s.rope_scaling));
  // llama.cpp permutes Q/K rows of llama and mistral at conversion (pairwise rope); qwen2 is NeoX.
  s.rope_layout = (*arch == "qwen2") ? RopeLayout::kNeox : RopeLayout::kNormal;
  s.tied_embeddings = g.find_tensor("output.weight") == nullptr;
  s.qkv_bias = g.find_tensor("blk.0.attn_q.bias") != nullptr;
  ASC_RETURN_IF_ERROR(s.validate());
  return s;
}

StatusOr<ModelSpec> spec_from_hf_config(const json& c) {
  if (!c.is_object()) return invalid_argument("config.json is not a JSON object");
  auto mt = c.find("model_type");
  if (mt == c.end() || !mt->is_string()) return invalid_argument("config.json lacks 'model_type'");
  const std::string arch = mt->get<std::string>();
  StatusOr<ArchFamily> family = arch_family(arch);
  if (!family.is_ok()) return family.status();
  ModelSpec s;
  s.architecture = arch;
  s.family = *family;
  struct Field {
    const char* key;
    int32_t* out;
    bool required;
    int32_t fallback;
  };
  const Field fields[] = {
      {"hidden_size", &s.hidden_size, true, 0}, {"num_hidden_layers", &s.num_layers, true, 0},
      {"num_attention_heads", &s.num_heads, true, 0}, {"intermediate_size", &s.ffn_size, true, 0},
      {"vocab_size", &s.vocab_size, true, 0},
      {"max_position_embeddings", &s.context_length, false, 2048},
  };
  for (const Field& f : fields) {
    StatusOr<int32_t> v = hf_int(c, f.key, f.required, f.fallback);
    if (!v.is_ok()) return v.status();
    *f.out = *v;
  }
  StatusOr<int32_t> kv = hf_int(c, "num_key_value_heads", false, s.num_heads);
  if (!kv.is_ok()) return kv.status();
  s.num_kv_heads = *kv;
  StatusOr<int32_t> hd = hf_int(c, "head_dim", false, s.num_heads > 0 ? s.hidden_size / s.num_heads : 0);
  if (!hd.is_ok()) return hd.status();
  s.head_dim = *hd;
  StatusOr<float> partial = hf_float(c, "partial_rotary_factor", 1.0f);
  StatusOr<float> eps = hf_float(c, "rms_norm_eps", 1e-6f);
  StatusOr<float> theta = hf_float(c, "rope_theta", 10000.0f);
  for (const Status* st : {&partial.status(), &eps.status(), &theta.status()}) {
    if (!st->is_ok()) return *st;
  }
  s.rope_dim = static_cast<int32_t>(static_cast<float>(s.head_dim) * *partial);
  s.rms_eps = *eps;
  s.rope_theta = *theta;
  ASC_RETURN_IF_ERROR(hf_rope_scaling(c, &s.rope_scaling));
  const bool use_window = arch != "qwen2" || hf_bool(c, "use_sliding_window", false);
  StatusOr<int32_t> window = hf_int(c, "sliding_window", false, 0);
  if (!window.is_ok()) return window.status();
  s.sliding_window = use_window ? *window : 0;
  s.rope_layout = RopeLayout::kNeox;  // HF checkpoints are never permuted: rotate_half
  s.tied_embeddings = hf_bool(c, "tie_word_embeddings", false);
  s.qkv_bias = arch == "qwen2" || hf_bool(c, "attention_bias", false);
  ASC_RETURN_IF_ERROR(s.validate());
  return s;
}

StatusOr<ModelSpec> spec_from_hf_config_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return not_found("cannot open config '" + path + "'");
  json c = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (c.is_discarded()) return invalid_argument("config '" + path + "' is not valid JSON");
  StatusOr<ModelSpec> s = spec_from_hf_config(c);
  if (!s.is_ok()) return Status(s.status().code(), path + ": " + s.status().message());
  return s;
}

}  // namespace asc
