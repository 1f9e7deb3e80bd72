// AVX2 + FMA + F16C ops of the paged-attention kernel (compiled with -mavx2 -mfma -mf16c only).
#include <immintrin.h>

#include "engine/cpu/attention_impl.h"

namespace asc::cpu {

namespace {

float hsum256(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

/// n is a multiple of 8 (head_dim % 8 == 0 is checked by the dispatcher).
struct Avx2Ops {
  static void load_f16(const uint16_t* src, float* dst, int32_t n) {
    for (int32_t i = 0; i < n; i += 8) {
      const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
      _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(h));
    }
  }
  static float dot(const float* a, const float* b, int32_t n) {
    __m256 s0 = _mm256_setzero_ps();
    __m256 s1 = _mm256_setzero_ps();
    int32_t i = 0;
    for (; i + 16 <= n; i += 16) {
      s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
      s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
    }
    if (i < n) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    return hsum256(_mm256_add_ps(s0, s1));
  }
  static void axpy(float a, const float* x, float* y, int32_t n) {
    const __m256 va = _mm256_set1_ps(a);
    for (int32_t i = 0; i < n; i += 8) {
      _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    }
  }
  static void scale(float c, float* y, int32_t n) {
    const __m256 vc = _mm256_set1_ps(c);
    for (int32_t i = 0; i < n; i += 8) _mm256_storeu_ps(y + i, _mm256_mul_ps(vc, _mm256_loadu_ps(y + i)));
  }
  static void round_f16(float* y, int32_t n) {
    for (int32_t i = 0; i < n; i += 8) {
      const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(y + i), _MM_FROUND_TO_NEAREST_INT);
      _mm256_storeu_ps(y + i, _mm256_cvtph_ps(h));
    }
  }
};

}  // namespace

void attend_avx2(const AttentionTask& task) { detail::attend_generic<Avx2Ops>(task); }

}  // namespace asc::cpu
