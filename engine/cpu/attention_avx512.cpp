// AVX-512F ops of the paged-attention kernel (compiled with the AVX-512 flags only).
// GCC 12 reports false maybe-uninitialized warnings inside its own AVX-512 intrinsic headers.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include "engine/cpu/attention_impl.h"

namespace asc::cpu {

namespace {

/// n is a multiple of 16 (head_dim % 16 == 0 is checked by the dispatcher).
struct Avx512Ops {
  static void load_f16(const uint16_t* src, float* dst, int32_t n) {
    for (int32_t i = 0; i < n; i += 16) {
      const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i));
      _mm512_storeu_ps(dst + i, _mm512_cvtph_ps(h));
    }
  }
  static float dot(const float* a, const float* b, int32_t n) {
    __m512 s0 = _mm512_setzero_ps();
    __m512 s1 = _mm512_setzero_ps();
    int32_t i = 0;
    for (; i + 32 <= n; i += 32) {
      s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
      s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
    }
    if (i < n) s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
    return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
  }
  static void axpy(float a, const float* x, float* y, int32_t n) {
    const __m512 va = _mm512_set1_ps(a);
    for (int32_t i = 0; i < n; i += 16) {
      _mm512_storeu_ps(y + i, _mm512_fmadd_ps(va, _mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i)));
    }
  }
  static void scale(float c, float* y, int32_t n) {
    const __m512 vc = _mm512_set1_ps(c);
    for (int32_t i = 0; i < n; i += 16) _mm512_storeu_ps(y + i, _mm512_mul_ps(vc, _mm512_loadu_ps(y + i)));
  }
  static void round_f16(float* y, int32_t n) {
    for (int32_t i = 0; i < n; i += 16) {
      const __m256i h = _mm512_cvtps_ph(_mm512_loadu_ps(y + i), _MM_FROUND_TO_NEAREST_INT);
      _mm512_storeu_ps(y + i, _mm512_cvtph_ps(h));
    }
  }
};

}  // namespace

void attend_avx512(const AttentionTask& task) { detail::attend_generic<Avx512Ops>(task); }

}  // namespace asc::cpu
