#include "engine/cpu/llama_forward.h"

#include <string>

#include "engine/cpu/quant.h"

namespace asc::cpu {

namespace {

/// A small float tensor (norm, bias, rope factors) converted to f32.
std::vector<float> to_f32(const TensorView& t) {
  std::vector<float> out(static_cast<size_t>(t.num_elements()));
  dequantize_row(t.type, t.data, out.data(), t.num_elements());
  return out;
}

RopeLayout cpu_rope_layout(asc::RopeLayout layout) {
  return layout == asc::RopeLayout::kNeox ? RopeLayout::kNeox : RopeLayout::kNormal;
}

/// Below this many tokens, per-token elementwise work (a few microseconds) runs on the calling
/// thread: waking the pool ~10 times per layer would cost more than the work.
constexpr int64_t kMinParallelTokens = 32;

/// Runs fn(t) for t in [0, m), over the pool when m is large enough to pay for it.
template <typename Fn>
void for_each_token(ThreadPool& pool, int64_t m, Fn&& fn) {
  if (m < kMinParallelTokens) {
    for (int64_t t = 0; t < m; ++t) fn(t);
    return;
  }
  pool.parallel_for(m, [&](int64_t begin, int64_t end, int) {
    for (int64_t t = begin; t < end; ++t) fn(t);
  });
}

Status check_weight(const TensorView& w) {
  if (!matmul_supported(w.type)) {
    return unimplemented(std::string("tensor ") + w.name + " has type " + dtype_name(w.type) +
                         ", which the CPU matmul does not support");
  }
  return Status::ok();
}

}  // namespace

StatusOr<LlamaForward> LlamaForward::create(const Model& model, const KernelTable& table,
                                            int32_t max_batch_tokens) {
  const ModelSpec& spec = model.spec();
  ASC_RETURN_IF_ERROR(spec.validate());
  if (spec.head_dim > kMaxHeadDim || spec.num_heads / spec.num_kv_heads > kMaxGroupSize) {
    return unimplemented("head_dim " + std::to_string(spec.head_dim) + " or group of " +
                         std::to_string(spec.num_heads / spec.num_kv_heads) +
                         " query heads per KV head exceeds the CPU attention kernel's limits");
  }
  const ModelWeights& w = model.weights();
  if (!is_supported_weight_type(w.token_embd.type)) return check_weight(w.token_embd);
  ASC_RETURN_IF_ERROR(check_weight(w.output));
  for (const LayerWeights& l : w.layers) {
    for (const TensorView* t : {&l.wq, &l.wk, &l.wv, &l.wo, &l.ffn_gate, &l.ffn_up, &l.ffn_down}) {
      ASC_RETURN_IF_ERROR(check_weight(*t));
    }
  }
  std::vector<float> factors;
  if (w.rope_freqs) factors = to_f32(*w.rope_freqs);
  StatusOr<std::vector<double>> inv_freq = rope_frequencies(spec, factors);
  if (!inv_freq.is_ok()) return inv_freq.status();
  return LlamaForward(model, table, std::max(max_batch_tokens, 1), std::move(*inv_freq));
}

LlamaForward::LlamaForward(const Model& model, const KernelTable& table, int32_t max_batch_tokens,
                           std::vector<double> rope_inv_freq)
    : model_(&model),
      kt_(&table),
      hidden_(model.spec().hidden_size),
      num_layers_(model.spec().num_layers),
      num_heads_(model.spec().num_heads),
      num_kv_heads_(model.spec().num_kv_heads),
      head_dim_(model.spec().head_dim),
      ffn_(model.spec().ffn_size),
      vocab_(model.spec().vocab_size),
      rms_eps_(model.spec().rms_eps),
      rope_(model.spec().head_dim, cpu_rope_layout(model.spec().rope_layout), std::move(rope_inv_freq)),
      attention_(table, model.spec().num_heads, kv_geometry()),
      output_(&model.weights().output) {
  const ModelWeights& w = model.weights();
  output_norm_ = to_f32(w.output_norm);
  for (const LayerWeights& l : w.layers) {
    attn_norm_.push_back(to_f32(l.attn_norm));
    ffn_norm_.push_back(to_f32(l.ffn_norm));
    bq_.push_back(l.bq ? to_f32(*l.bq) : std::vector<float>());
    bk_.push_back(l.bk ? to_f32(*l.bk) : std::vector<float>());
    bv_.push_back(l.bv ? to_f32(*l.bv) : std::vector<float>());
  }
  // Rotate with llama.cpp's float angles where its recurrence applies, so greedy tokens match it.
  const std::vector<float> factors = w.rope_freqs ? to_f32(*w.rope_freqs) : std::vector<float>();
  std::optional<FloatRopeAngles> angles = float_rope_angles(model.spec(), factors);
  if (angles) rope_.use_float_angles(std::move(*angles));
  reserve(max_batch_tokens);
}

KvGeometry LlamaForward::kv_geometry() const {
  return KvGeometry{num_layers_, num_kv_heads_, head_dim_};
}

void LlamaForward::reserve(int64_t num_tokens) {
  if (num_tokens <= capacity_) return;
  capacity_ = num_tokens;
  const auto n = static_cast<size_t>(num_tokens);
  x_.resize(n * hidden_);
  xn_.resize(n * hidden_);
  q_.resize(n * num_heads_ * head_dim_);
  k_.resize(n * num_kv_heads_ * head_dim_);
  v_.resize(n * num_kv_heads_ * head_dim_);
  att_.resize(n * num_heads_ * head_dim_);
  gate_.resize(n * ffn_);
  up_.resize(n * ffn_);
  proj_.resize(n * hidden_);
}

Status LlamaForward::check_rows(const KvStorage& kv, std::span<const StepRow> rows) {
  att_rows_.clear();
  tokens_.clear();
  positions_.clear();
  for (size_t r = 0; r < rows.size(); ++r) {
    const StepRow& row = rows[r];
    if (row.num_tokens < 1 || static_cast<int64_t>(row.tokens.size()) != row.num_tokens) {
      return invalid_argument("row " + std::to_string(r) + ": " + std::to_string(row.tokens.size()) +
                              " token ids for num_tokens " + std::to_string(row.num_tokens));
    }
    for (int32_t i = 0; i < row.num_tokens; ++i) {
      const int32_t id = row.tokens[static_cast<size_t>(i)];
      if (id < 0 || id >= vocab_) {
        return invalid_argument("row " + std::to_string(r) + ": token id " + std::to_string(id) +
                                " outside the vocabulary of " + std::to_string(vocab_));
      }
      tokens_.push_back(id);
      positions_.push_back(row.start_pos + i);
    }
    att_rows_.push_back({row.start_pos, row.num_tokens,
                         static_cast<int32_t>(tokens_.size()) - row.num_tokens, row.block_table});
  }
  return check_attention_rows(kv, att_rows_);
}

StatusOr<std::span<const float>> LlamaForward::forward(ThreadPool& pool, KvStorage& kv,
                                                       std::span<const StepRow> rows) {
  ASC_CHECK(kv.geometry().num_layers == num_layers_ && kv.geometry().num_kv_heads == num_kv_heads_ &&
            kv.geometry().head_dim == head_dim_);
  ASC_RETURN_IF_ERROR(check_rows(kv, rows));
  const auto m = static_cast<int64_t>(tokens_.size());
  if (m == 0) return std::span<const float>();
  reserve(m);
  rope_.prepare(pool, positions_);
  attention_.prepare(att_rows_);
  embed(pool, rows);
  for (int32_t layer = 0; layer < num_layers_; ++layer) {
    attention_block(pool, kv, layer, m);
    ffn_block(pool, layer, m);
  }
  compute_logits(pool, rows);
  return std::span<const float>(logits_);
}

void LlamaForward::embed(ThreadPool& pool, std::span<const StepRow> rows) {
  const TensorView& embd = model_->weights().token_embd;
  for_each_token(pool, static_cast<int64_t>(tokens_.size()), [&](int64_t t) {
    dequantize_row(embd.type, embd.row(tokens_[static_cast<size_t>(t)]), x_.data() + t * hidden_, hidden_);
  });
}

void LlamaForward::norm_rows(ThreadPool& pool, const float* x, const std::vector<float>& weight,
                             int64_t m, float* out) {
  for_each_token(pool, m, [&](int64_t t) {
    kt_->rmsnorm(x + t * hidden_, weight.data(), hidden_, rms_eps_, out + t * hidden_);
  });
}

void LlamaForward::project(ThreadPool& pool, const float* x, int64_t m,
                           std::initializer_list<std::pair<const TensorView*, float*>> outputs) {
  bool prepared = false;
  DType prepared_type = DType::kF32;
  for (const auto& [w, y] : outputs) {
    // Weights of one type sharing an input (Q/K/V, gate/up) reuse one activation quantization.
    if (!prepared || w->type != prepared_type) {
      prepare_activations(pool, *kt_, w->type, x, m, w->shape[0], matmul_scratch_);
      prepared = true;
      prepared_type = w->type;
    }
    matmul_prepared(pool, *kt_, *w, matmul_scratch_, y, w->shape[1]);
  }
}

void LlamaForward::attention_block(ThreadPool& pool, KvStorage& kv, int32_t layer, int64_t m) {
  const LayerWeights& w = model_->weights().layers[static_cast<size_t>(layer)];
  const size_t l = static_cast<size_t>(layer);
  const int32_t q_size = num_heads_ * head_dim_;
  const int32_t kv_size = num_kv_heads_ * head_dim_;
  norm_rows(pool, x_.data(), attn_norm_[l], m, xn_.data());
  project(pool, xn_.data(), m, {{&w.wq, q_.data()}, {&w.wk, k_.data()}, {&w.wv, v_.data()}});
  if (!bq_[l].empty()) {
    for_each_token(pool, m, [&](int64_t t) {
      kt_->add(q_.data() + t * q_size, bq_[l].data(), q_size, q_.data() + t * q_size);
      kt_->add(k_.data() + t * kv_size, bk_[l].data(), kv_size, k_.data() + t * kv_size);
      kt_->add(v_.data() + t * kv_size, bv_[l].data(), kv_size, v_.data() + t * kv_size);
    });
  }
  rope_.apply(pool, q_.data(), num_heads_);
  rope_.apply(pool, k_.data(), num_kv_heads_);
  attention_.write_kv(pool, kv, layer, k_.data(), v_.data());
  attention_.run(pool, kv, layer, q_.data(), att_.data());
  project(pool, att_.data(), m, {{&w.wo, proj_.data()}});
  for_each_token(pool, m, [&](int64_t t) {
    kt_->add(x_.data() + t * hidden_, proj_.data() + t * hidden_, hidden_, x_.data() + t * hidden_);
  });
}

void LlamaForward::ffn_block(ThreadPool& pool, int32_t layer, int64_t m) {
  const LayerWeights& w = model_->weights().layers[static_cast<size_t>(layer)];
  norm_rows(pool, x_.data(), ffn_norm_[static_cast<size_t>(layer)], m, xn_.data());
  project(pool, xn_.data(), m, {{&w.ffn_gate, gate_.data()}, {&w.ffn_up, up_.data()}});
  for_each_token(pool, m, [&](int64_t t) {
    kt_->silu_mul(gate_.data() + t * ffn_, up_.data() + t * ffn_, ffn_, gate_.data() + t * ffn_);
  });
  project(pool, gate_.data(), m, {{&w.ffn_down, proj_.data()}});
  for_each_token(pool, m, [&](int64_t t) {
    kt_->add(x_.data() + t * hidden_, proj_.data() + t * hidden_, hidden_, x_.data() + t * hidden_);
  });
}

void LlamaForward::compute_logits(ThreadPool& pool, std::span<const StepRow> rows) {
  int64_t num_sampling = 0;
  for (const StepRow& row : rows) num_sampling += row.sample ? 1 : 0;
  last_.resize(static_cast<size_t>(num_sampling * hidden_));
  logits_.resize(static_cast<size_t>(num_sampling * vocab_));
  int64_t s = 0;
  for (size_t r = 0; r < rows.size(); ++r) {
    if (!rows[r].sample) continue;
    const int64_t t = att_rows_[r].first_token + att_rows_[r].num_tokens - 1;
    kt_->rmsnorm(x_.data() + t * hidden_, output_norm_.data(), hidden_, rms_eps_,
                 last_.data() + s * hidden_);
    ++s;
  }
  if (num_sampling > 0) matmul(pool, *kt_, *output_, last_.data(), num_sampling, logits_.data(), matmul_scratch_);
}

}  // namespace asc::cpu
