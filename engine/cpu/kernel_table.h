// KernelTable: the function table of CPU kernels for one ISA level, chosen once at start-up.
//
// Usage:  const KernelTable& kt = kernel_table(best_isa(detect_cpu_features()));
// then pass `kt` down (matmul, attention, elementwise). Tables are immutable function-local statics
// (built on first use, thread-safe), so there is no mutable global state. Every entry is non-null.
#pragma once

#include <cstdint>

#include "engine/cpu/cpu_features.h"
#include "engine/cpu/quant.h"
#include "engine/cpu/vec_dot.h"
#include "engine/model/tensor.h"

namespace asc::cpu {

/// How to multiply a weight of one DType: quantize activations to `act`, then run `gemm`.
struct WeightKernel {
  ActFormat act = ActFormat::kF32;
  GemmTileFn gemm = nullptr;
};

struct KernelTable {
  IsaLevel isa = IsaLevel::kScalar;

  // Matmul kernels per weight DType.
  WeightKernel f32, f16, bf16, q4_0, q4_1, q8_0, q4_k, q5_k, q6_k;

  // Activation quantization: one row of k elements (see quant.h for the layouts).
  void (*quantize_row_q8x32)(const float* x, int64_t k, uint8_t* out) = nullptr;
  void (*quantize_row_q8k)(const float* x, int64_t k, BlockQ8K* out) = nullptr;

  // Conversions of n elements.
  void (*fp16_to_fp32_row)(const uint16_t* src, float* dst, int64_t n) = nullptr;
  void (*fp32_to_fp16_row)(const float* src, uint16_t* dst, int64_t n) = nullptr;
  void (*bf16_to_fp32_row)(const uint16_t* src, float* dst, int64_t n) = nullptr;

  // Vector primitives for attention (n elements; f16 means IEEE half bits).
  float (*dot_f32)(const float* a, const float* b, int64_t n) = nullptr;
  float (*dot_f16_f32)(const uint16_t* a, const float* b, int64_t n) = nullptr;
  void (*axpy_f32)(float alpha, const float* x, float* y, int64_t n) = nullptr;       // y += alpha*x
  void (*axpy_f16)(float alpha, const uint16_t* x, float* y, int64_t n) = nullptr;    // y += alpha*x
  void (*scale_f32)(float alpha, float* y, int64_t n) = nullptr;                      // y *= alpha

  // Elementwise ops (same contracts as the reference functions in elementwise.h).
  void (*rmsnorm)(const float* x, const float* weight, int64_t n, float eps, float* out) = nullptr;
  void (*silu_mul)(const float* gate, const float* up, int64_t n, float* out) = nullptr;
  void (*softmax)(float* x, int64_t n) = nullptr;
  void (*add)(const float* a, const float* b, int64_t n, float* out) = nullptr;
};

/// The table for `isa`. Asking for a level the CPU lacks is allowed (tests use isa_supported()
/// first); calling its kernels on such a CPU faults with an illegal instruction.
const KernelTable& kernel_table(IsaLevel isa);

/// The kernel for weights of `type`, or nullptr for a type the table does not handle.
const WeightKernel* weight_kernel(const KernelTable& table, DType type);

}  // namespace asc::cpu
