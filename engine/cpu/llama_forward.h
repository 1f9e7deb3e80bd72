// LlamaForward: the llama-family transformer forward pass over a whole step (all rows at once).
//
// All rows' tokens are gathered into one activation matrix x [total_tokens, hidden], so every
// weight matmul of a step is a single GEMM whatever the mix of prefill chunks and decodes. Per layer:
//   rmsnorm -> Q/K/V matmuls (+ bias, qwen2) -> RoPE at each token's own position
//   -> K/V write + paged attention per row -> wo matmul + residual
//   -> rmsnorm -> gate/up matmuls -> silu(gate) * up -> down matmul + residual.
// The final norm and the vocabulary matmul run only for the last token of rows that sample, so a
// 512-token prefill chunk pays one logits row, not 512. Weights stay memory-mapped (views into the
// model file); norms and biases, which are tiny, are converted once to f32 at construction.
// Scratch buffers are sized once for max_batch_tokens and grow only if a larger step arrives.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <utility>
#include <vector>

#include "engine/core/status.h"
#include "engine/core/step.h"
#include "engine/cpu/attention.h"
#include "engine/cpu/kernel_table.h"
#include "engine/cpu/kv_storage.h"
#include "engine/cpu/matmul.h"
#include "engine/cpu/llama_forward_rope.h"
#include "engine/cpu/thread_pool.h"
#include "engine/model/model_loader.h"

namespace asc::cpu {

class LlamaForward {
 public:
  /// Checks that every weight type has a matmul kernel and the shapes agree with the spec;
  /// UNIMPLEMENTED / INVALID_ARGUMENT otherwise. The model must outlive the forward pass.
  static StatusOr<LlamaForward> create(const Model& model, const KernelTable& table,
                                       int32_t max_batch_tokens);

  LlamaForward(LlamaForward&&) = default;
  LlamaForward& operator=(LlamaForward&&) = default;

  /// KV geometry of the model (layers, KV heads, head_dim).
  KvGeometry kv_geometry() const;
  int32_t vocab_size() const { return vocab_; }

  /// Runs every row of a step: writes the rows' K/V into kv and returns the logits of the last
  /// token of each row with sample == true, in row order: [num_sampling_rows, vocab] (valid until
  /// the next call). Rows need tokens.size() == num_tokens, ids in [0, vocab) and block tables
  /// covering their positions; a violation returns a Status and leaves kv untouched.
  StatusOr<std::span<const float>> forward(ThreadPool& pool, KvStorage& kv,
                                           std::span<const StepRow> rows);

 private:
  LlamaForward(const Model& model, const KernelTable& table, int32_t max_batch_tokens,
               std::vector<double> rope_inv_freq);

  Status check_rows(const KvStorage& kv, std::span<const StepRow> rows);
  void reserve(int64_t num_tokens);
  void embed(ThreadPool& pool, std::span<const StepRow> rows);
  void attention_block(ThreadPool& pool, KvStorage& kv, int32_t layer, int64_t m);
  void ffn_block(ThreadPool& pool, int32_t layer, int64_t m);
  void project(ThreadPool& pool, const float* x, int64_t m,
               std::initializer_list<std::pair<const TensorView*, float*>> outputs);
  void norm_rows(ThreadPool& pool, const float* x, const std::vector<float>& weight, int64_t m,
                 float* out);
  void compute_logits(ThreadPool& pool, std::span<const StepRow> rows);

  const Model* model_;
  const KernelTable* kt_;
  int32_t hidden_, num_layers_, num_heads_, num_kv_heads_, head_dim_, ffn_, vocab_;
  float rms_eps_;
  RopeTable rope_;
  PagedAttention attention_;
  MatmulScratch matmul_scratch_;
  const TensorView* output_;            // output projection (token_embd when tied)

  // Converted once: [num_layers][hidden] norms, [num_layers][dims] biases (empty when absent).
  std::vector<std::vector<float>> attn_norm_, ffn_norm_, bq_, bk_, bv_;
  std::vector<float> output_norm_;      // [hidden]

  // Step state.
  std::vector<AttentionRow> att_rows_;  // [num_rows]
  std::vector<int32_t> tokens_;         // [num_tokens] ids of the step, rows concatenated
  std::vector<int32_t> positions_;      // [num_tokens] position of each token

  // Scratch, capacity max_batch_tokens rows.
  int64_t capacity_ = 0;
  std::vector<float> x_;        // [tokens, hidden] residual stream
  std::vector<float> xn_;       // [tokens, hidden] normed input of a block
  std::vector<float> q_;        // [tokens, num_heads * head_dim]
  std::vector<float> k_;        // [tokens, num_kv_heads * head_dim]
  std::vector<float> v_;        // [tokens, num_kv_heads * head_dim]
  std::vector<float> att_;      // [tokens, num_heads * head_dim] attention output
  std::vector<float> gate_;     // [tokens, ffn]
  std::vector<float> up_;       // [tokens, ffn]
  std::vector<float> proj_;     // [tokens, hidden] wo / down output before the residual add
  std::vector<float> last_;     // [sampling rows, hidden] normed last tokens
  std::vector<float> logits_;   // [sampling rows, vocab]
};

}  // namespace asc::cpu
