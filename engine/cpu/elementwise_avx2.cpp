// AVX2 + FMA versions of the hot elementwise kernels (rmsnorm, silu_mul, softmax, add) with the
// contracts of elementwise.h. exp: range reduction x = n ln2 + r, degree-6 polynomial, 2^n built in
// the exponent bits; inputs are clamped to [-87.3, 88] (n stays a normal exponent) and inputs below
// -87.3 (including masked -inf) give exactly 0. Tails use the same code on a zero-padded copy.
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "engine/cpu/kernel_table.h"
#include "engine/cpu/vec_dot.h"

namespace asc::cpu {

namespace {

inline __m256 exp_ps(__m256 x) {
  const __m256 underflow = _mm256_cmp_ps(x, _mm256_set1_ps(-87.3f), _CMP_LT_OQ);
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.0f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.0f / 720.0f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_andnot_ps(underflow, _mm256_mul_ps(p, _mm256_castsi256_ps(e)));
}

inline float hsum(__m256 v) {
  const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
  return _mm_cvtss_f32(_mm_add_ss(s2, _mm_movehdup_ps(s2)));
}

/// Loads up to 8 floats, padding with `fill`.
inline __m256 load_partial(const float* p, int64_t count, float fill) {
  float buf[8] = {fill, fill, fill, fill, fill, fill, fill, fill};
  std::memcpy(buf, p, static_cast<size_t>(count) * sizeof(float));
  return _mm256_loadu_ps(buf);
}
inline void store_partial(float* p, __m256 v, int64_t count) {
  float buf[8];
  _mm256_storeu_ps(buf, v);
  std::memcpy(p, buf, static_cast<size_t>(count) * sizeof(float));
}

void rmsnorm(const float* x, const float* weight, int64_t n, float eps, float* out) {
  // As ggml (and the scalar reference): float squares summed in double, the mean rounded to float.
  __m256d acc = _mm256_setzero_pd();
  int64_t i = 0;
  for (; i < n; i += 8) {
    const __m256 v = i + 8 <= n ? _mm256_loadu_ps(x + i) : load_partial(x + i, n - i, 0.0f);
    const __m256 sq = _mm256_mul_ps(v, v);
    acc = _mm256_add_pd(acc, _mm256_cvtps_pd(_mm256_castps256_ps128(sq)));
    acc = _mm256_add_pd(acc, _mm256_cvtps_pd(_mm256_extractf128_ps(sq, 1)));
  }
  __m128d s2 = _mm_add_pd(_mm256_castpd256_pd128(acc), _mm256_extractf128_pd(acc, 1));
  s2 = _mm_add_sd(s2, _mm_unpackhi_pd(s2, s2));
  const float mean = static_cast<float>(_mm_cvtsd_f64(s2) / static_cast<double>(n));
  const float scale = 1.0f / __builtin_sqrtf(mean + eps);
  const __m256 vs = _mm256_set1_ps(scale);
  for (i = 0; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(x + i), vs), _mm256_loadu_ps(weight + i)));
  }
  for (; i < n; ++i) out[i] = x[i] * scale * weight[i];
}

void silu_mul(const float* gate, const float* up, int64_t n, float* out) {
  const __m256 one = _mm256_set1_ps(1.0f);
  for (int64_t i = 0; i < n; i += 8) {
    const int64_t count = n - i < 8 ? n - i : 8;
    const __m256 g = count == 8 ? _mm256_loadu_ps(gate + i) : load_partial(gate + i, count, 0.0f);
    const __m256 u = count == 8 ? _mm256_loadu_ps(up + i) : load_partial(up + i, count, 0.0f);
    const __m256 e = exp_ps(_mm256_sub_ps(_mm256_setzero_ps(), g));
    const __m256 r = _mm256_mul_ps(_mm256_div_ps(g, _mm256_add_ps(one, e)), u);
    if (count == 8) {
      _mm256_storeu_ps(out + i, r);
    } else {
      store_partial(out + i, r, count);
    }
  }
}

void softmax(float* x, int64_t n) {
  const float neg_inf = -__builtin_inff();
  __m256 vmax = _mm256_set1_ps(neg_inf);
  for (int64_t i = 0; i < n; i += 8) {
    const int64_t count = n - i < 8 ? n - i : 8;
    vmax = _mm256_max_ps(vmax, count == 8 ? _mm256_loadu_ps(x + i) : load_partial(x + i, count, neg_inf));
  }
  __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(vmax), _mm256_extractf128_ps(vmax, 1));
  m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
  m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
  const __m256 max_v = _mm256_set1_ps(_mm_cvtss_f32(m4));
  __m256 sum = _mm256_setzero_ps();
  for (int64_t i = 0; i < n; i += 8) {
    const int64_t count = n - i < 8 ? n - i : 8;
    const __m256 v = count == 8 ? _mm256_loadu_ps(x + i) : load_partial(x + i, count, neg_inf);
    const __m256 e = exp_ps(_mm256_sub_ps(v, max_v));
    sum = _mm256_add_ps(sum, e);
    if (count == 8) {
      _mm256_storeu_ps(x + i, e);
    } else {
      store_partial(x + i, e, count);
    }
  }
  const float inv = 1.0f / hsum(sum);
  const __m256 vinv = _mm256_set1_ps(inv);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), vinv));
  for (; i < n; ++i) x[i] *= inv;
}

void add(const float* a, const float* b, int64_t n, float* out) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, _mm256_add_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
  for (; i < n; ++i) out[i] = a[i] + b[i];
}

}  // namespace

void fill_elementwise_avx2(KernelTable& t) {
  t.rmsnorm = &rmsnorm;
  t.silu_mul = &silu_mul;
  t.softmax = &softmax;
  t.add = &add;
}

}  // namespace asc::cpu
