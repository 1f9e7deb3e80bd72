// Launchers of the CUDA backend's kernels, one op family per .cu file. Every launcher checks its
// launch (cuda_check.h) and returns the Status; pointers are device pointers unless stated.
// Shapes are row-major, the innermost dimension last, as in the CPU backend.
#pragma once

#include <cuda_fp16.h>

#include <cstddef>
#include <cstdint>

#include "cuda/cuda_check.h"
#include "engine/model/tensor.h"

namespace asc::cuda {

/// Largest number of tokens the fused quantized GEMV handles in one pass (decode batches); larger
/// matmuls go through cuBLASLt on f16 weights.
inline constexpr int32_t kGemvMaxTokens = 8;

/// Positions per KV block, engine/core/step.h's kKvBlockSize (which .cu files cannot include:
/// it needs C++20); cuda_backend.cpp checks that the two agree.
inline constexpr int32_t kDeviceKvBlockSize = 16;

/// A weight matrix y = W x stored on the device in its file type: n rows of k elements.
struct DeviceMatrix {
  DType type = DType::kF32;
  int64_t k = 0;               // in_features (row length, a multiple of the type's block size)
  int64_t n = 0;               // out_features (rows)
  size_t row_bytes = 0;
  const uint8_t* data = nullptr;  // [n][row_bytes]
};

/// True for the weight types the device kernels decode (F32, F16, BF16, Q4_0, Q4_1, Q8_0, Q4_K,
/// Q5_K, Q6_K) whose row length is a multiple of 32.
bool device_supports(DType type, int64_t k);

// ---- dequant.cu ----
/// out[t] = row ids[t] of table, dequantized: out [num_tokens, table.k] f32. ids must be < table.n.
Status launch_embedding(const LaunchContext& ctx, const DeviceMatrix& table, const int32_t* ids,
                        int64_t num_tokens, float* out);
/// The whole matrix as f16: out [n, k].
Status launch_dequantize_f16(const LaunchContext& ctx, const DeviceMatrix& w, __half* out);

// ---- gemv.cu ----
/// y[t] = W x[t] for t < m, reading the quantized weights once for all m tokens.
/// x [m, k] f32, y [m, n] f32, 1 <= m <= kGemvMaxTokens.
Status launch_quant_gemv(const LaunchContext& ctx, const DeviceMatrix& w, const float* x, int32_t m,
                         float* y);

// ---- elementwise.cu ----
/// For each of m rows: x += delta (when delta is not null), then out = rmsnorm(x) * weight.
/// x, delta, out: [m, n] f32 (out must not alias x); weight [n].
Status launch_add_rmsnorm(const LaunchContext& ctx, float* x, const float* delta, const float* weight,
                          int64_t m, int32_t n, float eps, float* out);
/// x [m, n] += delta [m, n] (the last residual add when no norm follows for a row).
Status launch_add(const LaunchContext& ctx, float* x, const float* delta, int64_t count);
/// out = silu(gate) * up, elementwise over count values (out may alias gate).
Status launch_silu_mul(const LaunchContext& ctx, const float* gate, const float* up, int64_t count,
                       float* out);
/// x [m, n] += bias [n] per row.
Status launch_add_bias(const LaunchContext& ctx, float* x, const float* bias, int64_t m, int32_t n);
/// out[i] = half(x[i]) for count values.
Status launch_f32_to_f16(const LaunchContext& ctx, const float* x, int64_t count, __half* out);
/// out[i] = x[rows[i]] for i < num_rows: x [*, n], out [num_rows, n].
Status launch_gather_rows(const LaunchContext& ctx, const float* x, const int32_t* rows,
                          int32_t num_rows, int32_t n, float* out);

// ---- rope.cu ----
/// cos/sin [num_tokens, half] of angle positions[t] * inv_freq[i], computed in double.
Status launch_rope_table(const LaunchContext& ctx, const int32_t* positions, int64_t num_tokens,
                         const double* inv_freq, int32_t half, float* cos_out, float* sin_out);
/// Rotates x [num_tokens, num_heads, head_dim] in place with the table: pairs (2i, 2i+1) (normal)
/// or (i, i + half) (neox) for i < half.
Status launch_rope(const LaunchContext& ctx, float* x, int64_t num_tokens, int32_t num_heads,
                   int32_t head_dim, int32_t half, bool neox, const float* cos_t, const float* sin_t);

// ---- attention.cu ----
/// The device KV cache: [num_blocks][num_layers][2 (K, V)][num_kv_heads][kKvBlockSize][head_dim]
/// f16, the CPU KvStorage's layout, so exported blocks move between CPU and GPU backends.
struct DeviceKv {
  __half* data = nullptr;
  int32_t num_blocks = 0;
  int32_t num_layers = 0;
  int32_t num_kv_heads = 0;
  int32_t head_dim = 0;
};

/// The tokens of a step as attention sees them (device arrays).
struct AttentionTokens {
  const int32_t* positions = nullptr;     // [num_tokens] position of each token
  const int32_t* table_offset = nullptr;  // [num_tokens] start of its row's block table in tables
  const int32_t* tables = nullptr;        // concatenated block tables of the step's rows
  int32_t num_tokens = 0;
  int32_t max_positions = 0;              // largest position + 1 over the step
};

/// Writes k, v [num_tokens, num_kv_heads, head_dim] f32 of layer into the blocks as f16.
Status launch_kv_append(const LaunchContext& ctx, const DeviceKv& kv, int32_t layer,
                        const AttentionTokens& tokens, const float* k, const float* v);

/// Splits of the context one query is divided into for max_positions (long contexts are split
/// so that a decode of few sequences still fills the GPU).
int32_t attention_num_splits(int32_t max_positions);
/// Floats of scratch launch_paged_attention needs.
size_t attention_scratch_floats(int32_t num_tokens, int32_t num_heads, int32_t head_dim,
                                int32_t num_splits);
/// Causal GQA attention of every token over positions [0, its position] of its sequence:
/// q, out [num_tokens, num_heads, head_dim] f32. head_dim <= 256 and even.
Status launch_paged_attention(const LaunchContext& ctx, const DeviceKv& kv, int32_t layer,
                              const AttentionTokens& tokens, int32_t num_heads, const float* q,
                              float* scratch, float* out);

// ---- sampling.cu ----
/// Per-row sampling parameters; u is the row's uniform draw in [0, 1) (the CPU sampler's
/// counter_uniform(seed, num_generated), computed on the host).
struct DeviceSamplingParams {
  float temperature = 0.0f;
  float top_p = 1.0f;
  float min_p = 0.0f;
  int32_t top_k = 0;
  double u = 0.0;
};
/// One token per row of logits [rows, vocab]: argmax when temperature <= 0 or top_k == 1, else
/// softmax(logits / T) -> min-p -> top-k -> top-p -> draw. probs: scratch [rows, vocab].
Status launch_sample(const LaunchContext& ctx, const float* logits, int32_t rows, int32_t vocab,
                     const DeviceSamplingParams* params, float* probs, int32_t* out_tokens);

// ---- block_copy.cu ----
/// Copies whole KV blocks: pairs [n][2] = (src, dst) block ids, all < num_blocks of kv.
Status launch_copy_blocks(const LaunchContext& ctx, uint8_t* kv, size_t block_bytes,
                          const int32_t* pairs, int32_t n);
/// out [n][block_bytes] = blocks[i] of kv, in order.
Status launch_gather_blocks(const LaunchContext& ctx, const uint8_t* kv, size_t block_bytes,
                            const int32_t* blocks, int32_t n, uint8_t* out);
/// blocks[i] of kv = in [n][block_bytes], in order.
Status launch_scatter_blocks(const LaunchContext& ctx, uint8_t* kv, size_t block_bytes,
                             const int32_t* blocks, int32_t n, const uint8_t* in);

}  // namespace asc::cuda
