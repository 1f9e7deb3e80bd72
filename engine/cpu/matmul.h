// Matrix multiplication of activations by (quantized) weight matrices: y[m, n] = x[m, k] * W^T.
//
// W is a TensorView of GGUF shape {k, n}: n rows of k elements in any supported DType. The
// activations are quantized once per call into the format of the weight type's kernel (Q8x32 for
// Q4_0/Q4_1/Q8_0, Q8_K for K-quants, f32 for float weights) and the integer kernels accumulate in
// fp32. Work is split over the pool by output rows (weight rows) in contiguous chunks; within a
// chunk, each unpacked weight block is reused across up to 4 activation rows, so prefill (m large)
// is compute-bound rather than bandwidth-bound. MatmulScratch keeps the quantized activations so
// steady-state calls allocate nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "engine/cpu/kernel_table.h"
#include "engine/cpu/thread_pool.h"
#include "engine/model/tensor.h"

namespace asc::cpu {

/// Reusable, 64-byte aligned buffer for quantized activations. Not thread-safe: one per engine
/// instance (or per concurrent caller).
class MatmulScratch {
 public:
  MatmulScratch() = default;
  MatmulScratch(const MatmulScratch&) = delete;
  MatmulScratch& operator=(const MatmulScratch&) = delete;
  MatmulScratch(MatmulScratch&&) = default;
  MatmulScratch& operator=(MatmulScratch&&) = default;

  /// Returns at least `bytes` bytes, 64-byte aligned; grows (never shrinks) the buffer. Contents
  /// are not preserved when it grows.
  uint8_t* reserve(size_t bytes);
  size_t capacity() const { return capacity_; }

  // Description of the activations last prepared (by prepare_activations).
  ActFormat format = ActFormat::kF32;
  int64_t rows = 0;        // m
  int64_t cols = 0;        // k
  size_t row_bytes = 0;    // bytes per prepared row
  const uint8_t* data = nullptr;  // [rows, row_bytes]; may point at the caller's x for kF32

 private:
  std::unique_ptr<uint8_t[]> storage_;
  uint8_t* aligned_ = nullptr;
  size_t capacity_ = 0;
};

/// True when matmul handles weights of this type.
bool matmul_supported(DType type);

/// Quantizes (or, for float weights, references) x [m, k] into scratch in the format the kernel of
/// `weight_type` consumes. x must stay alive and unchanged until the matching matmul_prepared
/// calls are done. Several weights of the same type sharing an input (Q, K, V; gate, up) can reuse
/// one preparation.
void prepare_activations(ThreadPool& pool, const KernelTable& kt, DType weight_type,
                         const float* x, int64_t m, int64_t k, MatmulScratch& scratch);

/// y [m, n] (row stride ldy >= n) = prepared activations * W^T. W's k (shape[0]) must equal the
/// prepared cols and its type must match the prepared format (ASC_CHECK).
void matmul_prepared(ThreadPool& pool, const KernelTable& kt, const TensorView& w,
                     const MatmulScratch& scratch, float* y, int64_t ldy);

/// y [m, n] = x [m, k] * W^T, W of shape {k, n}; y is contiguous (row stride n).
void matmul(ThreadPool& pool, const KernelTable& kt, const TensorView& w, const float* x,
            int64_t m, float* y, MatmulScratch& scratch);

}  // namespace asc::cpu
