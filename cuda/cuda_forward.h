// CudaForward: the llama-family forward pass of one step on one GPU, the device twin of
// engine/cpu/llama_forward.h (same row contract, same math, the CPU pass is its oracle).
//
// All rows' tokens form one activation matrix x [num_tokens, hidden]. Per layer:
//   add_rmsnorm (residual of the previous block fused in) -> Q/K/V matmuls (+ bias) -> RoPE
//   -> KV append into blocks -> paged attention -> wo matmul
//   -> add_rmsnorm -> gate/up matmuls -> SwiGLU -> down matmul.
// Matmuls of <= kGemvMaxTokens tokens (decode) run the fused quantized GEMV; larger ones
// (prefill) convert activations to f16 and run cuBLASLt. The final norm and the vocabulary
// matmul run only for the last token of sampling rows; sampling runs on the device and only the
// chosen ids come back to the host. Host-side step data (ids, positions, block tables, sampling
// parameters) goes up in one copy from pinned memory.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "cuda/cuda_weights.h"
#include "cuda/device_memory.h"
#include "cuda/gemm_lt.h"
#include "cuda/kernels.h"
#include "engine/core/step.h"
#include "engine/model/model_spec.h"

namespace asc::cuda {

class CudaForward {
 public:
  /// The weights must be on the current device; ctx.stream belongs to the caller.
  static StatusOr<std::unique_ptr<CudaForward>> create(const ModelSpec& spec,
                                                      std::shared_ptr<const CudaWeights> weights,
                                                      const LaunchContext& ctx);

  /// Runs every row: writes their K/V into kv and returns one entry per row (the sampled id, or
  /// -1 for rows with sample == false). INVALID_ARGUMENT (kv untouched) for malformed rows.
  StatusOr<std::vector<int32_t>> forward(const DeviceKv& kv, std::span<const StepRow> rows);

  /// Copies the last forward()'s logits [num_sampling_rows, vocab] to the host (for tests).
  Status copy_logits(std::vector<float>& out) const;

  int32_t vocab_size() const { return spec_.vocab_size; }

 private:
  CudaForward(const ModelSpec& spec, std::shared_ptr<const CudaWeights> weights, const LaunchContext& ctx,
              std::unique_ptr<LtGemm> lt);
  Status check_rows(const DeviceKv& kv, std::span<const StepRow> rows);
  Status reserve(int64_t num_tokens, int64_t num_sampling);
  Status upload_step();
  Status matmul(const DeviceWeight& w, const float* x, int64_t m, float* y);
  Status layer(const DeviceKv& kv, int32_t l, int64_t m);
  Status logits_and_sample(int64_t m);

  ModelSpec spec_;
  std::shared_ptr<const CudaWeights> weights_;
  LaunchContext ctx_;
  std::unique_ptr<LtGemm> lt_;

  // Host staging of one step (filled by check_rows).
  std::vector<int32_t> h_ints_;   // tokens [T], positions [T], table_offset [T], sample_tokens [S], tables
  std::vector<DeviceSamplingParams> h_params_;  // [S]
  int64_t num_tokens_ = 0;
  int64_t num_sampling_ = 0;
  int32_t max_positions_ = 0;
  PinnedBuffer pinned_;           // upload staging, then the sampled ids coming back
  int64_t num_sampling_last_ = 0;

  // Device scratch, grown on demand.
  DeviceBuffer ints_, params_, x_, xn_, q_, k_, v_, att_, gate_, up_, proj_, x16_, w16_, rope_cos_,
      rope_sin_, att_scratch_, last_, logits_, probs_, out_tokens_;
  int64_t capacity_tokens_ = 0;
  int64_t capacity_sampling_ = 0;
};

}  // namespace asc::cuda
