// AVX2 + FMA + F16C kernels for weights with 32-element blocks (Q4_0, Q4_1, Q8_0), float weights,
// Q8x32 activation quantization and the attention vector primitives.
//
// One ymm holds one weight block (32 elements). Without VNNI the u8 x s8 products go through
// vpmaddubsw (pairs to int16) and vpmaddwd (to int32). Q4 weights are unsigned nibbles (no int16
// saturation: 2 * 15 * 127 fits); Q8_0 weights use the sign trick |w| x sign(x, w) so products stay
// below 2 * 128 * 127. Per block and activation row:
//   acc8 = fma(dw * dx, float(isum8), acc8)   (8 lanes of 4-element sums, ggml's order)
// and the offset terms wm * sx (wm = -8 dw for Q4_0, m for Q4_1) summed apart in block order.
// A micro-tile covers 2 weight rows x 4 activation rows. Internal linkage only (AVX2 flags).
#include <immintrin.h>

#include <cstring>

#include "engine/cpu/kernel_table.h"
#include "engine/cpu/vec_dot.h"

namespace asc::cpu {

namespace {

inline float half_to_float(uint16_t h) { return _cvtsh_ss(h); }

inline __m256i unpack_nibbles(const uint8_t* q) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
  const __m128i mask = _mm_set1_epi8(0x0F);
  return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(v, 4), mask), _mm_and_si128(v, mask));
}

inline __m256i dot_u8_s8(__m256i u, __m256i s) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}

struct WeightBlock {
  __m256i q;  // unsigned bytes (Q4) or |w| (Q8_0)
  __m256i sign;  // Q8_0 only: the weights, used to sign the activations
  __m256 d;
  __m256 m;
};

struct Q4_0Weight {
  static constexpr int kBlockBytes = 18;
  static constexpr bool kSigned = false;
  static constexpr bool kHasMin = true;
  static WeightBlock load(const uint8_t* b) {
    WeightBlock w;
    uint16_t d;
    std::memcpy(&d, b, 2);
    w.q = unpack_nibbles(b + 2);
    w.d = _mm256_set1_ps(half_to_float(d));
    w.m = _mm256_mul_ps(w.d, _mm256_set1_ps(-8.0f));
    return w;
  }
  static float offset(const uint8_t* b) {  // weight offset multiplying the activation block sum
    uint16_t d;
    std::memcpy(&d, b, 2);
    return -8.0f * half_to_float(d);
  }
};
struct Q4_1Weight {
  static constexpr int kBlockBytes = 20;
  static constexpr bool kSigned = false;
  static constexpr bool kHasMin = true;
  static WeightBlock load(const uint8_t* b) {
    WeightBlock w;
    uint16_t d, m;
    std::memcpy(&d, b, 2);
    std::memcpy(&m, b + 2, 2);
    w.q = unpack_nibbles(b + 4);
    w.d = _mm256_set1_ps(half_to_float(d));
    w.m = _mm256_set1_ps(half_to_float(m));
    return w;
  }
  static float offset(const uint8_t* b) {
    uint16_t m;
    std::memcpy(&m, b + 2, 2);
    return half_to_float(m);
  }
};
struct Q8_0Weight {
  static constexpr int kBlockBytes = 34;
  static constexpr bool kSigned = true;
  static constexpr bool kHasMin = false;
  static WeightBlock load(const uint8_t* b) {
    WeightBlock w;
    uint16_t d;
    std::memcpy(&d, b, 2);
    w.sign = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + 2));
    w.q = _mm256_sign_epi8(w.sign, w.sign);  // |w|
    w.d = _mm256_set1_ps(half_to_float(d));
    return w;
  }
};

template <class W, int NW, int NX>
void q32_micro(int64_t k, const uint8_t* w, size_t w_row_bytes, const uint8_t* x,
               size_t x_row_bytes, float* y, int64_t ldy) {
  const int64_t nb = k / 32;
  const int8_t* xq[NX];
  const float* xd[NX];
  const float* xs[NX];
  #pragma GCC unroll 8
  for (int r = 0; r < NX; ++r) {
    const uint8_t* row = x + r * x_row_bytes;
    xq[r] = reinterpret_cast<const int8_t*>(row);
    xd[r] = reinterpret_cast<const float*>(row + k);
    xs[r] = xd[r] + nb * 8;
  }
  __m256 acc[NW][NX];
  #pragma GCC unroll 8
  for (int c = 0; c < NW; ++c) {
    #pragma GCC unroll 8
    for (int r = 0; r < NX; ++r) acc[c][r] = _mm256_setzero_ps();
  }
  for (int64_t b = 0; b < nb; ++b) {
    WeightBlock wb[NW];
    #pragma GCC unroll 8
    for (int c = 0; c < NW; ++c) wb[c] = W::load(w + c * w_row_bytes + b * W::kBlockBytes);
    #pragma GCC unroll 8
    for (int r = 0; r < NX; ++r) {
      const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq[r] + b * 32));
      const __m256 dx = _mm256_loadu_ps(xd[r] + b * 8);
      #pragma GCC unroll 8
      for (int c = 0; c < NW; ++c) {
        const __m256i xs_signed = W::kSigned ? _mm256_sign_epi8(xv, wb[c].sign) : xv;
        const __m256 dd = _mm256_mul_ps(wb[c].d, dx);  // exact: f16 x f16
        acc[c][r] = _mm256_fmadd_ps(dd, _mm256_cvtepi32_ps(dot_u8_s8(wb[c].q, xs_signed)), acc[c][r]);
      }
    }
  }
  #pragma GCC unroll 8
  for (int c = 0; c < NW; ++c) {
    #pragma GCC unroll 8
    for (int r = 0; r < NX; ++r) {
      float summs = 0.0f;
      if constexpr (W::kHasMin) {
        const uint8_t* wc = w + c * w_row_bytes;
        for (int64_t b = 0; b < nb; ++b) summs += W::offset(wc + b * W::kBlockBytes) * xs[r][b * 8];
      }
      const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(acc[c][r]), _mm256_extractf128_ps(acc[c][r], 1));
      const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
      y[r * ldy + c] = _mm_cvtss_f32(_mm_add_ss(s2, _mm_movehdup_ps(s2))) + summs;
    }
  }
}

template <class W, int NX>
void q32_rows(int64_t k, const uint8_t* w, size_t w_row_bytes, int num_w, const uint8_t* x,
              size_t x_row_bytes, float* y, int64_t ldy) {
  int c = 0;
  for (; c + 2 <= num_w; c += 2) {
    q32_micro<W, 2, NX>(k, w + c * w_row_bytes, w_row_bytes, x, x_row_bytes, y + c, ldy);
  }
  if (c < num_w) q32_micro<W, 1, NX>(k, w + c * w_row_bytes, w_row_bytes, x, x_row_bytes, y + c, ldy);
}

template <class W>
void gemm_q32(int64_t k, const uint8_t* w, size_t w_row_bytes, int num_w, const uint8_t* x,
              size_t x_row_bytes, int num_x, float* y, int64_t ldy) {
  int r = 0;
  for (; r + 4 <= num_x; r += 4) {
    q32_rows<W, 4>(k, w, w_row_bytes, num_w, x + r * x_row_bytes, x_row_bytes, y + r * ldy, ldy);
  }
  const int rest = num_x - r;
  const uint8_t* xr = x + r * x_row_bytes;
  float* yr = y + r * ldy;
  if (rest == 3) q32_rows<W, 3>(k, w, w_row_bytes, num_w, xr, x_row_bytes, yr, ldy);
  if (rest == 2) q32_rows<W, 2>(k, w, w_row_bytes, num_w, xr, x_row_bytes, yr, ldy);
  if (rest == 1) q32_rows<W, 1>(k, w, w_row_bytes, num_w, xr, x_row_bytes, yr, ldy);
}

inline float hsum(__m256 v) {
  const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
  return _mm_cvtss_f32(_mm_add_ss(s2, _mm_movehdup_ps(s2)));
}

// ---- Float weights with f32 activations ----

struct F32Load {
  static constexpr int kBytes = 4;
  static __m256 load(const uint8_t* p) { return _mm256_loadu_ps(reinterpret_cast<const float*>(p)); }
  static float load1(const uint8_t* p) {
    float v;
    std::memcpy(&v, p, 4);
    return v;
  }
};
struct F16Load {
  static constexpr int kBytes = 2;
  static __m256 load(const uint8_t* p) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  static float load1(const uint8_t* p) {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return half_to_float(h);
  }
};
struct Bf16Load {
  static constexpr int kBytes = 2;
  static __m256 load(const uint8_t* p) {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
  }
  static float load1(const uint8_t* p) {
    uint16_t h;
    std::memcpy(&h, p, 2);
    const uint32_t bits = static_cast<uint32_t>(h) << 16;
    float v;
    std::memcpy(&v, &bits, 4);
    return v;
  }
};

template <class L>
void gemm_float(int64_t k, const uint8_t* w, size_t w_row_bytes, int num_w, const uint8_t* x,
                size_t x_row_bytes, int num_x, float* y, int64_t ldy) {
  for (int r = 0; r < num_x; ++r) {
    const float* xr = reinterpret_cast<const float*>(x + r * x_row_bytes);
    for (int c = 0; c < num_w; ++c) {
      const uint8_t* wc = w + c * w_row_bytes;
      __m256 acc = _mm256_setzero_ps();
      int64_t i = 0;
      for (; i + 8 <= k; i += 8) acc = _mm256_fmadd_ps(L::load(wc + i * L::kBytes), _mm256_loadu_ps(xr + i), acc);
      float v = hsum(acc);
      for (; i < k; ++i) v += L::load1(wc + i * L::kBytes) * xr[i];
      y[r * ldy + c] = v;
    }
  }
}

// ---- Activation quantization: Q8x32 ----

void quantize_row_q8x32(const float* x, int64_t k, uint8_t* out) {
  const int64_t nb = k / 32;
  int8_t* qs = reinterpret_cast<int8_t*>(out);
  float* dvec = reinterpret_cast<float*>(out + k);
  float* svec = dvec + nb * 8;
  const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  for (int64_t b = 0; b < nb; ++b) {
    __m256 v[4];
    __m256 amax = _mm256_setzero_ps();
    for (int j = 0; j < 4; ++j) {
      v[j] = _mm256_loadu_ps(x + b * 32 + j * 8);
      amax = _mm256_max_ps(amax, _mm256_and_ps(v[j], abs_mask));
    }
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(amax), _mm256_extractf128_ps(amax, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
    const float amax_s = _mm_cvtss_f32(m4);
    const float d = amax_s / 127.0f;  // ggml's Q8_0 / Q8_1 rounding, see quantize_row_q8x32_ref
    const float id = amax_s != 0.0f ? 127.0f / amax_s : 0.0f;
    const __m256 vid = _mm256_set1_ps(id);
    __m256i q[4];
    for (int j = 0; j < 4; ++j) q[j] = _mm256_cvtps_epi32(_mm256_mul_ps(v[j], vid));
    const __m256i sum32 = _mm256_add_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3]));
    __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(sum32), _mm256_extracti128_si256(sum32, 1));
    s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0x4E));
    s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0xB1));
    const int sum = _mm_cvtsi128_si32(s4);
    // Pack int32 -> int16 -> int8; packs interleave 128-bit lanes, fixed by a final permute.
    const __m256i p16a = _mm256_packs_epi32(q[0], q[1]);
    const __m256i p16b = _mm256_packs_epi32(q[2], q[3]);
    const __m256i p8 = _mm256_packs_epi16(p16a, p16b);
    const __m256i ordered = _mm256_permutevar8x32_epi32(p8, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(qs + b * 32), ordered);
    const float d16 = _cvtsh_ss(_cvtss_sh(d, _MM_FROUND_TO_NEAREST_INT));
    const float s16 = _cvtsh_ss(_cvtss_sh(d * static_cast<float>(sum), _MM_FROUND_TO_NEAREST_INT));
    _mm256_storeu_ps(dvec + b * 8, _mm256_set1_ps(d16));
    _mm256_storeu_ps(svec + b * 8, _mm256_setr_ps(s16, 0, 0, 0, 0, 0, 0, 0));
  }
}

// ---- Vector primitives (8-wide body, scalar tail) ----

float dot_f32(const float* a, const float* b, int64_t n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
  }
  for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
  float v = hsum(_mm256_add_ps(acc0, acc1));
  for (; i < n; ++i) v += a[i] * b[i];
  return v;
}

float dot_f16_f32(const uint16_t* a, const float* b, int64_t n) {
  __m256 acc = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 av = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i)));
    acc = _mm256_fmadd_ps(av, _mm256_loadu_ps(b + i), acc);
  }
  float v = hsum(acc);
  for (; i < n; ++i) v += half_to_float(a[i]) * b[i];
  return v;
}

void axpy_f32(float alpha, const float* x, float* y, int64_t n) {
  const __m256 va = _mm256_set1_ps(alpha);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
  }
  for (; i < n; ++i) y[i] += alpha * x[i];
}

void axpy_f16(float alpha, const uint16_t* x, float* y, int64_t n) {
  const __m256 va = _mm256_set1_ps(alpha);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 xv = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i)));
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, xv, _mm256_loadu_ps(y + i)));
  }
  for (; i < n; ++i) y[i] += alpha * half_to_float(x[i]);
}

void scale_f32(float alpha, float* y, int64_t n) {
  const __m256 va = _mm256_set1_ps(alpha);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_mul_ps(va, _mm256_loadu_ps(y + i)));
  for (; i < n; ++i) y[i] *= alpha;
}

void fp16_to_fp32_row(const uint16_t* src, float* dst, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i))));
  }
  for (; i < n; ++i) dst[i] = half_to_float(src[i]);
}

void fp32_to_fp16_row(const float* src, uint16_t* dst, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), h);
  }
  for (; i < n; ++i) dst[i] = _cvtss_sh(src[i], _MM_FROUND_TO_NEAREST_INT);
}

#include "engine/cpu/vec_dot_kquant_impl.h"  // K-quant kernels, compiled for this ISA

}  // namespace

void fill_kernels_avx2(KernelTable& t) {
  t.f32 = {ActFormat::kF32, &gemm_float<F32Load>};
  t.f16 = {ActFormat::kF32, &gemm_float<F16Load>};
  t.bf16 = {ActFormat::kF32, &gemm_float<Bf16Load>};
  t.q4_0 = {ActFormat::kQ8x32, &gemm_q32<Q4_0Weight>};
  t.q4_1 = {ActFormat::kQ8x32, &gemm_q32<Q4_1Weight>};
  t.q8_0 = {ActFormat::kQ8x32, &gemm_q32<Q8_0Weight>};
  t.q4_k = {ActFormat::kQ8K, &gemm_q4_k};
  t.q5_k = {ActFormat::kQ8K, &gemm_q5_k};
  t.q6_k = {ActFormat::kQ8K, &gemm_q6_k};
  t.quantize_row_q8x32 = &quantize_row_q8x32;
  t.fp16_to_fp32_row = &fp16_to_fp32_row;
  t.fp32_to_fp16_row = &fp32_to_fp16_row;
  t.dot_f32 = &dot_f32;
  t.dot_f16_f32 = &dot_f16_f32;
  t.axpy_f32 = &axpy_f32;
  t.axpy_f16 = &axpy_f16;
  t.scale_f32 = &scale_f32;
  fill_elementwise_avx2(t);
}

}  // namespace asc::cpu
