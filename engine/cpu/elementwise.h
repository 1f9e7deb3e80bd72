// Elementwise kernels of the transformer forward pass: RMSNorm, RoPE, SiLU-gated product, softmax,
// residual add, and f16/bf16 row conversions.
//
// The functions here are the portable reference implementations (scalar C++, auto-vectorised for
// the baseline ISA). The KernelTable (kernel_table.h) holds SIMD versions of the hot ones
// (rmsnorm, silu_mul, softmax, add) with the same contracts; call those through the table in the
// forward pass. Buffers may alias only where stated.
#pragma once

#include <cstdint>

namespace asc::cpu {

enum class RopeLayout {
  kNormal,  // rotate adjacent pairs (x[2i], x[2i+1]) -- GGUF llama (Q/K permuted at conversion)
  kNeox,    // rotate (x[i], x[i + head_dim/2]) -- NeoX / HF layout (qwen2, gpt-neox, phi)
};

/// out[i] = x[i] / sqrt(mean(x^2) + eps) * weight[i], i in [0, n). out may alias x.
void rmsnorm(const float* x, const float* weight, int64_t n, float eps, float* out);

/// Rotates each of the num_heads vectors of x [num_heads, head_dim] in place by the position
/// angle pos * freq_scale * theta_base^(-2i / head_dim) for pair i. head_dim must be even.
void rope(float* x, int num_heads, int head_dim, int64_t pos, float theta_base, float freq_scale,
          RopeLayout layout);

/// out[i] = silu(gate[i]) * up[i] where silu(v) = v / (1 + exp(-v)). out may alias gate or up.
void silu_mul(const float* gate, const float* up, int64_t n, float* out);

/// In place: x[i] = exp(x[i] - max) / sum. Entries equal to -infinity (masked) become 0.
/// n must be >= 1 and at least one entry finite.
void softmax(float* x, int64_t n);

/// out[i] = a[i] + b[i]. out may alias a or b.
void add(const float* a, const float* b, int64_t n, float* out);

/// dst[i] = float(src[i]) for IEEE half bits.
void fp16_to_fp32_row(const uint16_t* src, float* dst, int64_t n);
/// dst[i] = half(src[i]) rounded to nearest even.
void fp32_to_fp16_row(const float* src, uint16_t* dst, int64_t n);
/// dst[i] = float(src[i]) for bfloat16 bits.
void bf16_to_fp32_row(const uint16_t* src, float* dst, int64_t n);
/// dst[i] = bfloat16(src[i]) rounded to nearest even.
void fp32_to_bf16_row(const float* src, uint16_t* dst, int64_t n);

}  // namespace asc::cpu
