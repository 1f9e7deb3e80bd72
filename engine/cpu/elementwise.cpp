// Portable reference elementwise kernels (see elementwise.h). Written as simple loops the compiler
// vectorises for the baseline ISA; the SIMD table versions are checked against these.
#include "engine/cpu/elementwise.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/core/status.h"
#include "engine/cpu/fp16.h"

namespace asc::cpu {

void rmsnorm(const float* x, const float* weight, int64_t n, float eps, float* out) {
  double sum_sq = 0.0;
  // As ggml: float squares summed in double, the mean rounded to float.
  for (int64_t i = 0; i < n; ++i) sum_sq += static_cast<double>(x[i] * x[i]);
  const float scale = 1.0f / std::sqrt(static_cast<float>(sum_sq / static_cast<double>(n)) + eps);
  for (int64_t i = 0; i < n; ++i) out[i] = x[i] * scale * weight[i];
}

void rope(float* x, int num_heads, int head_dim, int64_t pos, float theta_base, float freq_scale,
          RopeLayout layout) {
  const int half = head_dim / 2;
  // Angles are shared by all heads: compute cos/sin once. head_dim is small (<= 256).
  constexpr int kMaxHalf = 512;
  float cos_v[kMaxHalf];
  float sin_v[kMaxHalf];
  ASC_CHECK(half <= kMaxHalf && head_dim % 2 == 0);
  const int num_pairs = half;
  for (int i = 0; i < num_pairs; ++i) {
    const double inv_freq =
        std::pow(static_cast<double>(theta_base), -2.0 * i / static_cast<double>(head_dim));
    const double angle = static_cast<double>(pos) * freq_scale * inv_freq;
    cos_v[i] = static_cast<float>(std::cos(angle));
    sin_v[i] = static_cast<float>(std::sin(angle));
  }
  for (int h = 0; h < num_heads; ++h) {
    float* v = x + static_cast<int64_t>(h) * head_dim;
    for (int i = 0; i < num_pairs; ++i) {
      float* a = layout == RopeLayout::kNormal ? v + 2 * i : v + i;
      float* b = layout == RopeLayout::kNormal ? v + 2 * i + 1 : v + i + half;
      const float x0 = *a, x1 = *b;
      *a = x0 * cos_v[i] - x1 * sin_v[i];
      *b = x0 * sin_v[i] + x1 * cos_v[i];
    }
  }
}

void silu_mul(const float* gate, const float* up, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    out[i] = g / (1.0f + std::exp(-g)) * up[i];
  }
}

void softmax(float* x, int64_t n) {
  float max_v = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; ++i) max_v = std::max(max_v, x[i]);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - max_v);  // exp(-inf) == 0 for masked entries
    sum += x[i];
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

void add(const float* a, const float* b, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = a[i] + b[i];
}

void fp16_to_fp32_row(const uint16_t* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = fp16_to_fp32(src[i]);
}
void fp32_to_fp16_row(const float* src, uint16_t* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = fp32_to_fp16(src[i]);
}
void bf16_to_fp32_row(const uint16_t* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_fp32(src[i]);
}
void fp32_to_bf16_row(const float* src, uint16_t* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = fp32_to_bf16(src[i]);
}

}  // namespace asc::cpu
