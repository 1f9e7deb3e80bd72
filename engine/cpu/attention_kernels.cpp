// Scalar reference ops of the paged-attention kernel and the per-ISA dispatch.
#include "engine/cpu/attention_kernels.h"

#include <cmath>

#include "engine/cpu/attention_impl.h"
#include "engine/cpu/fp16.h"

namespace asc::cpu {

namespace {

struct ScalarOps {
  static void load_f16(const uint16_t* src, float* dst, int32_t n) {
    for (int32_t i = 0; i < n; ++i) dst[i] = fp16_to_fp32(src[i]);
  }
  static float dot(const float* a, const float* b, int32_t n) {
    float s = 0.0f;
    for (int32_t i = 0; i < n; ++i) s += a[i] * b[i];
    return s;
  }
  static void axpy(float a, const float* x, float* y, int32_t n) {
    for (int32_t i = 0; i < n; ++i) y[i] = std::fma(a, x[i], y[i]);
  }
  static void round_f16(float* y, int32_t n) {
    for (int32_t i = 0; i < n; ++i) y[i] = fp16_to_fp32(fp32_to_fp16(y[i]));
  }
  static void scale(float c, float* y, int32_t n) {
    for (int32_t i = 0; i < n; ++i) y[i] *= c;
  }
};

}  // namespace

void attend_scalar(const AttentionTask& task) { detail::attend_generic<ScalarOps>(task); }

AttendFn attend_kernel_for(IsaLevel level, int32_t head_dim) {
  if (level == IsaLevel::kAvx512 && head_dim % 16 == 0) return attend_avx512;
  if (level >= IsaLevel::kAvx2 && head_dim % 8 == 0) return attend_avx2;
  return attend_scalar;
}

}  // namespace asc::cpu
