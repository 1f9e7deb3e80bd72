#include "cuda/cuda_forward.h"

#include <algorithm>
#include <cstring>
#include <initializer_list>
#include <string>
#include <utility>

#include "engine/cpu/sampler.h"

namespace asc::cuda {

namespace {

template <typename T>
T* ptr(const DeviceBuffer& b, int64_t offset_elems = 0) {
  return b.as<T>() + offset_elems;
}

}  // namespace

StatusOr<std::unique_ptr<CudaForward>> CudaForward::create(const ModelSpec& spec,
                                                           std::shared_ptr<const CudaWeights> weights,
                                                           const LaunchContext& ctx) {
  ASC_RETURN_IF_ERROR(spec.validate());
  if (spec.head_dim > 256 || spec.head_dim % 4 != 0 || spec.num_heads % spec.num_kv_heads != 0) {
    return unimplemented("CUDA attention needs head_dim <= 256 and a multiple of 4, got " +
                         std::to_string(spec.head_dim));
  }
  StatusOr<std::unique_ptr<LtGemm>> lt = LtGemm::create();
  if (!lt.is_ok()) return lt.status();
  std::unique_ptr<CudaForward> f(new CudaForward(spec, std::move(weights), ctx, std::move(*lt)));
  ASC_RETURN_IF_ERROR(f->reserve(64, 8));
  return f;
}

CudaForward::CudaForward(const ModelSpec& spec, std::shared_ptr<const CudaWeights> weights,
                         const LaunchContext& ctx, std::unique_ptr<LtGemm> lt)
    : spec_(spec), weights_(std::move(weights)), ctx_(ctx), lt_(std::move(lt)) {}

Status CudaForward::reserve(int64_t t, int64_t s) {
  const int64_t h = spec_.hidden_size;
  const int64_t qs = spec_.q_size();
  const int64_t kvs = spec_.kv_size();
  const int64_t f = spec_.ffn_size;
  const int64_t widest = std::max({h, qs, f});
  if (t > capacity_tokens_) {
    const auto fl = [t](int64_t width) { return static_cast<size_t>(t * width) * sizeof(float); };
    for (auto [buf, bytes] : std::initializer_list<std::pair<DeviceBuffer*, size_t>>{{&x_, fl(h)}, {&xn_, fl(h)}, {&q_, fl(qs)}, {&k_, fl(kvs)},
                              {&v_, fl(kvs)}, {&att_, fl(qs)}, {&gate_, fl(f)}, {&up_, fl(f)},
                              {&proj_, fl(h)}, {&rope_cos_, fl(weights_->rope_half)},
                              {&rope_sin_, fl(weights_->rope_half)}}) {
      ASC_RETURN_IF_ERROR(ensure_capacity(*buf, bytes));
    }
    ASC_RETURN_IF_ERROR(ensure_capacity(x16_, static_cast<size_t>(t * widest) * sizeof(__half)));
    capacity_tokens_ = t;
  }
  if (s > capacity_sampling_) {
    const size_t v = static_cast<size_t>(spec_.vocab_size);
    ASC_RETURN_IF_ERROR(ensure_capacity(last_, static_cast<size_t>(s * h) * sizeof(float)));
    ASC_RETURN_IF_ERROR(ensure_capacity(logits_, static_cast<size_t>(s) * v * sizeof(float)));
    ASC_RETURN_IF_ERROR(ensure_capacity(probs_, static_cast<size_t>(s) * v * sizeof(float)));
    ASC_RETURN_IF_ERROR(ensure_capacity(params_, static_cast<size_t>(s) * sizeof(DeviceSamplingParams)));
    ASC_RETURN_IF_ERROR(ensure_capacity(out_tokens_, static_cast<size_t>(s) * sizeof(int32_t)));
    capacity_sampling_ = s;
  }
  if (!weights_->has_f16()) {
    ASC_RETURN_IF_ERROR(ensure_capacity(w16_, static_cast<size_t>(weights_->max_matrix_elems()) * sizeof(__half)));
  }
  return Status::ok();
}

Status CudaForward::check_rows(const DeviceKv& kv, std::span<const StepRow> rows) {
  std::vector<int32_t> tokens, positions, offsets, sample_tokens, tables;
  h_params_.clear();
  max_positions_ = 0;
  for (size_t r = 0; r < rows.size(); ++r) {
    const StepRow& row = rows[r];
    const std::string where = "row " + std::to_string(r) + ": ";
    if (row.num_tokens < 1 || static_cast<int64_t>(row.tokens.size()) != row.num_tokens || row.start_pos < 0) {
      return invalid_argument(where + std::to_string(row.tokens.size()) + " token ids for num_tokens " +
                              std::to_string(row.num_tokens) + " at position " + std::to_string(row.start_pos));
    }
    const int64_t end = static_cast<int64_t>(row.start_pos) + row.num_tokens;
    if (static_cast<int64_t>(row.block_table.size()) * kKvBlockSize < end) {
      return invalid_argument(where + "block table of " + std::to_string(row.block_table.size()) +
                              " blocks does not cover " + std::to_string(end) + " positions");
    }
    for (int32_t b : row.block_table) {
      if (b < 0 || b >= kv.num_blocks) {
        return invalid_argument(where + "KV block " + std::to_string(b) + " outside [0, " +
                                std::to_string(kv.num_blocks) + ")");
      }
    }
    const auto offset = static_cast<int32_t>(tables.size());
    tables.insert(tables.end(), row.block_table.begin(), row.block_table.end());
    for (int32_t i = 0; i < row.num_tokens; ++i) {
      const int32_t id = row.tokens[static_cast<size_t>(i)];
      if (id < 0 || id >= spec_.vocab_size) {
        return invalid_argument(where + "token id " + std::to_string(id) + " outside the vocabulary of " +
                                std::to_string(spec_.vocab_size));
      }
      tokens.push_back(id);
      positions.push_back(row.start_pos + i);
      offsets.push_back(offset);
    }
    max_positions_ = std::max<int32_t>(max_positions_, static_cast<int32_t>(end));
    if (!row.sample) continue;
    sample_tokens.push_back(static_cast<int32_t>(tokens.size()) - 1);
    const SamplingParams& sp = row.sampling;
    h_params_.push_back({sp.temperature, sp.top_p, sp.min_p, sp.top_k,
                         cpu::counter_uniform(sp.seed, static_cast<uint64_t>(row.num_generated))});
  }
  num_tokens_ = static_cast<int64_t>(tokens.size());
  num_sampling_ = static_cast<int64_t>(sample_tokens.size());
  h_ints_.clear();
  for (const auto* part : {&tokens, &positions, &offsets, &sample_tokens, &tables}) {
    h_ints_.insert(h_ints_.end(), part->begin(), part->end());
  }
  return Status::ok();
}

Status CudaForward::upload_step() {
  const size_t int_bytes = (h_ints_.size() * sizeof(int32_t) + 15) / 16 * 16;
  const size_t param_bytes = h_params_.size() * sizeof(DeviceSamplingParams);
  ASC_RETURN_IF_ERROR(ensure_capacity(ints_, int_bytes));
  ASC_RETURN_IF_ERROR(ensure_capacity(pinned_, int_bytes + param_bytes + 16));
  // The previous step's copies out of pinned_ finished: forward() synchronised at its end.
  std::memcpy(pinned_.data(), h_ints_.data(), h_ints_.size() * sizeof(int32_t));
  ASC_CUDA_TRY(cudaMemcpyAsync(ints_.data(), pinned_.data(), int_bytes, cudaMemcpyHostToDevice, ctx_.stream));
  if (param_bytes > 0) {
    uint8_t* p = pinned_.as<uint8_t>() + int_bytes;
    std::memcpy(p, h_params_.data(), param_bytes);
    ASC_CUDA_TRY(cudaMemcpyAsync(params_.data(), p, param_bytes, cudaMemcpyHostToDevice, ctx_.stream));
  }
  return Status::ok();
}

Status CudaForward::matmul(const DeviceWeight& w, const float* x, int64_t m, float* y) {
  if (m <= kGemvMaxTokens) return launch_quant_gemv(ctx_, w.q, x, static_cast<int32_t>(m), y);
  const __half* wf = w.f16;
  if (wf == nullptr) {
    ASC_RETURN_IF_ERROR(launch_dequantize_f16(ctx_, w.q, w16_.as<__half>()));
    wf = w16_.as<__half>();
  }
  ASC_RETURN_IF_ERROR(launch_f32_to_f16(ctx_, x, m * w.q.k, x16_.as<__half>()));
  return lt_->run(ctx_.stream, wf, x16_.as<__half>(), m, w.q.n, w.q.k, y);
}

Status CudaForward::layer(const DeviceKv& kv, int32_t l, int64_t m) {
  const DeviceLayer& w = weights_->layers[static_cast<size_t>(l)];
  const int32_t h = spec_.hidden_size;
  const int32_t half = weights_->rope_half;
  const bool neox = spec_.rope_layout == RopeLayout::kNeox;
  // The residual of the previous layer's FFN (proj_) is added here, fused with the norm.
  ASC_RETURN_IF_ERROR(launch_add_rmsnorm(ctx_, ptr<float>(x_), l == 0 ? nullptr : ptr<float>(proj_),
                                         w.attn_norm, m, h, spec_.rms_eps, ptr<float>(xn_)));
  ASC_RETURN_IF_ERROR(matmul(w.wq, ptr<float>(xn_), m, ptr<float>(q_)));
  ASC_RETURN_IF_ERROR(matmul(w.wk, ptr<float>(xn_), m, ptr<float>(k_)));
  ASC_RETURN_IF_ERROR(matmul(w.wv, ptr<float>(xn_), m, ptr<float>(v_)));
  if (w.bq != nullptr) {
    ASC_RETURN_IF_ERROR(launch_add_bias(ctx_, ptr<float>(q_), w.bq, m, spec_.q_size()));
    ASC_RETURN_IF_ERROR(launch_add_bias(ctx_, ptr<float>(k_), w.bk, m, spec_.kv_size()));
    ASC_RETURN_IF_ERROR(launch_add_bias(ctx_, ptr<float>(v_), w.bv, m, spec_.kv_size()));
  }
  ASC_RETURN_IF_ERROR(launch_rope(ctx_, ptr<float>(q_), m, spec_.num_heads, spec_.head_dim, half, neox,
                                  ptr<float>(rope_cos_), ptr<float>(rope_sin_)));
  ASC_RETURN_IF_ERROR(launch_rope(ctx_, ptr<float>(k_), m, spec_.num_kv_heads, spec_.head_dim, half, neox,
                                  ptr<float>(rope_cos_), ptr<float>(rope_sin_)));
  const int32_t* ints = ptr<int32_t>(ints_);
  AttentionTokens at{ints + m, ints + 2 * m, ints + 3 * m + num_sampling_, static_cast<int32_t>(m), max_positions_};
  ASC_RETURN_IF_ERROR(launch_kv_append(ctx_, kv, l, at, ptr<float>(k_), ptr<float>(v_)));
  ASC_RETURN_IF_ERROR(launch_paged_attention(ctx_, kv, l, at, spec_.num_heads, ptr<float>(q_),
                                             ptr<float>(att_scratch_), ptr<float>(att_)));
  ASC_RETURN_IF_ERROR(matmul(w.wo, ptr<float>(att_), m, ptr<float>(proj_)));
  ASC_RETURN_IF_ERROR(launch_add_rmsnorm(ctx_, ptr<float>(x_), ptr<float>(proj_), w.ffn_norm, m, h,
                                         spec_.rms_eps, ptr<float>(xn_)));
  ASC_RETURN_IF_ERROR(matmul(w.gate, ptr<float>(xn_), m, ptr<float>(gate_)));
  ASC_RETURN_IF_ERROR(matmul(w.up, ptr<float>(xn_), m, ptr<float>(up_)));
  ASC_RETURN_IF_ERROR(launch_silu_mul(ctx_, ptr<float>(gate_), ptr<float>(up_), m * spec_.ffn_size, ptr<float>(gate_)));
  return matmul(w.down, ptr<float>(gate_), m, ptr<float>(proj_));
}

Status CudaForward::logits_and_sample(int64_t m) {
  const int32_t h = spec_.hidden_size;
  const auto s = static_cast<int32_t>(num_sampling_);
  // Last residual add for every token, then the final norm of the sampling rows' last tokens.
  ASC_RETURN_IF_ERROR(launch_add(ctx_, ptr<float>(x_), ptr<float>(proj_), m * h));
  if (s == 0) return Status::ok();
  ASC_RETURN_IF_ERROR(launch_gather_rows(ctx_, ptr<float>(x_), ptr<int32_t>(ints_, 3 * m), s, h, ptr<float>(xn_)));
  ASC_RETURN_IF_ERROR(launch_add_rmsnorm(ctx_, ptr<float>(xn_), nullptr, weights_->output_norm, s, h,
                                         spec_.rms_eps, ptr<float>(last_)));
  ASC_RETURN_IF_ERROR(matmul(weights_->output, ptr<float>(last_), s, ptr<float>(logits_)));
  return launch_sample(ctx_, ptr<float>(logits_), s, spec_.vocab_size, ptr<DeviceSamplingParams>(params_),
                       ptr<float>(probs_), ptr<int32_t>(out_tokens_));
}

StatusOr<std::vector<int32_t>> CudaForward::forward(const DeviceKv& kv, std::span<const StepRow> rows) {
  ASC_RETURN_IF_ERROR(check_rows(kv, rows));
  std::vector<int32_t> result(rows.size(), -1);
  const int64_t m = num_tokens_;
  num_sampling_last_ = 0;
  if (m == 0) return result;
  ASC_RETURN_IF_ERROR(reserve(m, num_sampling_));
  const int32_t splits = attention_num_splits(max_positions_);
  ASC_RETURN_IF_ERROR(ensure_capacity(
      att_scratch_, attention_scratch_floats(static_cast<int32_t>(m), spec_.num_heads, spec_.head_dim, splits) * sizeof(float)));
  ASC_RETURN_IF_ERROR(upload_step());
  const int32_t* ints = ptr<int32_t>(ints_);
  ASC_RETURN_IF_ERROR(launch_embedding(ctx_, weights_->token_embd.q, ints, m, ptr<float>(x_)));
  ASC_RETURN_IF_ERROR(launch_rope_table(ctx_, ints + m, m, weights_->rope_inv_freq, weights_->rope_half,
                                        ptr<float>(rope_cos_), ptr<float>(rope_sin_)));
  for (int32_t l = 0; l < spec_.num_layers; ++l) ASC_RETURN_IF_ERROR(layer(kv, l, m));
  ASC_RETURN_IF_ERROR(logits_and_sample(m));
  num_sampling_last_ = num_sampling_;
  if (num_sampling_ > 0) {
    ASC_CUDA_TRY(cudaMemcpyAsync(pinned_.data(), out_tokens_.data(), static_cast<size_t>(num_sampling_) * sizeof(int32_t),
                                 cudaMemcpyDeviceToHost, ctx_.stream));
  }
  ASC_CUDA_TRY(cudaStreamSynchronize(ctx_.stream));
  const int32_t* sampled = pinned_.as<int32_t>();
  int64_t s = 0;
  for (size_t r = 0; r < rows.size(); ++r) {
    if (rows[r].sample) result[r] = sampled[s++];
  }
  return result;
}

Status CudaForward::copy_logits(std::vector<float>& out) const {
  out.resize(static_cast<size_t>(num_sampling_last_) * static_cast<size_t>(spec_.vocab_size));
  if (out.empty()) return Status::ok();
  ASC_CUDA_TRY(cudaMemcpyAsync(out.data(), logits_.data(), out.size() * sizeof(float), cudaMemcpyDeviceToHost, ctx_.stream));
  ASC_CUDA_TRY(cudaStreamSynchronize(ctx_.stream));
  return Status::ok();
}

}  // namespace asc::cuda
