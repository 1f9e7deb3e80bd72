// AVX-512 (F/BW/VL + VNNI) kernels for weights with 32-element blocks (Q4_0, Q4_1, Q8_0), float
// weights (F32, F16, BF16), activation quantization to Q8x32, and the attention vector primitives.
//
// Q4/Q8 design: one zmm holds two weight blocks (64 elements) as unsigned bytes, multiplied with
// signed Q8 activations by vpdpbusd into 16 int32 lanes (8 per block). Per block and activation row,
// in ggml's order (so results match llama.cpp bit for bit): acc8 = fma(dw * dx, float(isum8), acc8)
// for block b then b + 1, and the offset terms wm * sx summed apart in block order, with dx/sx from
// the Q8x32 row (see quant.h). Signed weights are made unsigned by an offset wm:
//   Q4_0: q - 8   -> wm = -8 dw          Q8_0: signed, computed as |q| x (x negated where q < 0)
//   Q4_1: d q + m -> wm = m
// A micro-tile covers 2 weight rows x 8 (or fewer) activation rows: each unpacked weight pair feeds
// up to 8 rows, each activation load feeds 2 weight rows. The loops over the tile are unrolled by
// pragma (-O2 would otherwise keep the accumulator arrays on the stack). Everything here is
// internal linkage: these functions are compiled with AVX-512 flags and must never be picked by
// the linker for another translation unit.
// GCC 12's AVX-512 headers trip -Wuninitialized on their own _mm512_undefined_* helpers.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <cstring>

#include "engine/cpu/kernel_table.h"
#include "engine/cpu/vec_dot.h"

namespace asc::cpu {

namespace {

inline float half_to_float(uint16_t h) { return _cvtsh_ss(h); }

/// ggml's hsum_float_8: ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7)).
inline float hsum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_extractf128_ps(v, 1), _mm256_castps256_ps128(v));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

/// Two floats broadcast to the low and high 8 lanes.
inline __m512 pair_broadcast(float lo, float hi) {
  return _mm512_insertf32x8(_mm512_set1_ps(lo), _mm256_set1_ps(hi), 1);
}

/// 64 unsigned nibble values of two Q4 blocks in element order: [b0 lo, b0 hi, b1 lo, b1 hi].
inline __m512i unpack_nibble_pair(const uint8_t* q0, const uint8_t* q1) {
  const __m256i both = _mm256_set_m128i(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q1)),
                                        _mm_loadu_si128(reinterpret_cast<const __m128i*>(q0)));
  const __m512i dup =
      _mm512_permutexvar_epi64(_mm512_setr_epi64(0, 1, 0, 1, 2, 3, 2, 3), _mm512_castsi256_si512(both));
  const long long k4 = 0x0004000400040004LL;
  const __m512i shifted = _mm512_srlv_epi16(dup, _mm512_setr_epi64(0, 0, k4, k4, 0, 0, k4, k4));
  return _mm512_and_si512(shifted, _mm512_set1_epi8(0x0F));
}

struct WeightPair {
  __m512i q;  // 64 unsigned bytes (|q| for signed weights)
  __m512 d;   // scale per lane (block 0 in lanes 0-7, block 1 in 8-15)
  __m512 m;   // offset term per lane (unsigned weights only)
  __mmask64 neg = 0;  // signed weights: bytes whose weight is negative (the activation is negated)
};

struct Q4_0Weight {
  static constexpr int kBlockBytes = 18;
  static constexpr bool kSigned = false;
  static float offset(const uint8_t* b) {  // weight offset multiplying the activation block sum
    uint16_t d16;
    std::memcpy(&d16, b, 2);
    return -8.0f * half_to_float(d16);
  }
  static WeightPair load_pair(const uint8_t* b) {
    WeightPair p;
    uint16_t d0, d1;
    std::memcpy(&d0, b, 2);
    std::memcpy(&d1, b + kBlockBytes, 2);
    p.q = unpack_nibble_pair(b + 2, b + kBlockBytes + 2);
    p.d = pair_broadcast(half_to_float(d0), half_to_float(d1));
    p.m = _mm512_mul_ps(p.d, _mm512_set1_ps(-8.0f));
    return p;
  }
};

struct Q4_1Weight {
  static constexpr int kBlockBytes = 20;
  static constexpr bool kSigned = false;
  static float offset(const uint8_t* b) {
    uint16_t m16;
    std::memcpy(&m16, b + 2, 2);
    return half_to_float(m16);
  }
  static WeightPair load_pair(const uint8_t* b) {
    WeightPair p;
    uint32_t dm0, dm1;  // (d, m) as two f16 each
    std::memcpy(&dm0, b, 4);
    std::memcpy(&dm1, b + kBlockBytes, 4);
    const __m128 f = _mm_cvtph_ps(_mm_setr_epi32(static_cast<int>(dm0), static_cast<int>(dm1), 0, 0));
    const __m512 f512 = _mm512_castps128_ps512(f);  // [d0, m0, d1, m1]
    p.d = _mm512_permutexvar_ps(_mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2), f512);
    p.m = _mm512_permutexvar_ps(_mm512_setr_epi32(1, 1, 1, 1, 1, 1, 1, 1, 3, 3, 3, 3, 3, 3, 3, 3), f512);
    p.q = unpack_nibble_pair(b + 4, b + kBlockBytes + 4);
    return p;
  }
};

struct Q8_0Weight {
  static constexpr int kBlockBytes = 34;
  static constexpr bool kSigned = true;
  static WeightPair load_pair(const uint8_t* b) {
    WeightPair p;
    uint16_t d0, d1;
    std::memcpy(&d0, b, 2);
    std::memcpy(&d1, b + kBlockBytes, 2);
    const __m256i q0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + 2));
    const __m256i q1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + kBlockBytes + 2));
    // Signed x signed as |q| x (x negated where q < 0): exact, no offset term, so it does not
    // depend on the precision of the activation block sums.
    const __m512i q = _mm512_inserti64x4(_mm512_castsi256_si512(q0), q1, 1);
    p.q = _mm512_abs_epi8(q);
    p.neg = _mm512_movepi8_mask(q);
    p.d = pair_broadcast(half_to_float(d0), half_to_float(d1));
    p.m = _mm512_setzero_ps();
    return p;
  }
};

/// One micro-tile: NW weight rows x NX activation rows over the whole row length k.
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
  // ggml's order (vec_dot_q4_1_q8_1 / q8_0_q8_0): 8 lanes of 4-element integer sums per block,
  // acc8 = fma(dw * dx, lanes, acc8) block after block; offset terms summed apart in block order.
  alignas(64) uint8_t tail[NW][2 * W::kBlockBytes];  // odd block count: last block + a zero block
  for (int64_t b = 0; b < nb; b += 2) {
    WeightPair pw[NW];
    #pragma GCC unroll 8
    for (int c = 0; c < NW; ++c) {
      const uint8_t* wb = w + c * w_row_bytes + b * W::kBlockBytes;
      if (b + 1 == nb) {  // the zero block (d = 0) adds exact zeros
        std::memcpy(tail[c], wb, W::kBlockBytes);
        std::memset(tail[c] + W::kBlockBytes, 0, W::kBlockBytes);
        wb = tail[c];
      }
      pw[c] = W::load_pair(wb);
    }
    #pragma GCC unroll 8
    for (int r = 0; r < NX; ++r) {
      // Past the last block these loads read the row's scale area (finite), times zero weights.
      const __m512i xv = _mm512_loadu_si512(xq[r] + b * 32);
      const __m512 dx = _mm512_loadu_ps(xd[r] + b * 8);
      #pragma GCC unroll 8
      for (int c = 0; c < NW; ++c) {
        __m512i isum;
        if constexpr (W::kSigned) {
          const __m512i xs_c = _mm512_mask_sub_epi8(xv, pw[c].neg, _mm512_setzero_si512(), xv);
          isum = _mm512_dpbusd_epi32(_mm512_setzero_si512(), pw[c].q, xs_c);
        } else {
          isum = _mm512_dpbusd_epi32(_mm512_setzero_si512(), pw[c].q, xv);
        }
        const __m512 f = _mm512_cvtepi32_ps(isum);
        const __m512 dd = _mm512_mul_ps(pw[c].d, dx);  // exact: f16 x f16
        acc[c][r] = _mm256_fmadd_ps(_mm512_castps512_ps256(dd), _mm512_castps512_ps256(f), acc[c][r]);
        acc[c][r] = _mm256_fmadd_ps(_mm512_extractf32x8_ps(dd, 1), _mm512_extractf32x8_ps(f, 1), acc[c][r]);
      }
    }
  }
  #pragma GCC unroll 8
  for (int c = 0; c < NW; ++c) {
    #pragma GCC unroll 8
    for (int r = 0; r < NX; ++r) {
      float summs = 0.0f;
      if constexpr (!W::kSigned) {
        const uint8_t* wc = w + c * w_row_bytes;
        for (int64_t i = 0; i < nb; ++i) summs += W::offset(wc + i * W::kBlockBytes) * xs[r][i * 8];
      }
      y[r * ldy + c] = hsum8(acc[c][r]) + summs;
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
  // 2 x 8 tiles: 16 accumulators + 2 unpacked weight pairs fit the 32 zmm registers.
  for (; r + 8 <= num_x; r += 8) {
    q32_rows<W, 8>(k, w, w_row_bytes, num_w, x + r * x_row_bytes, x_row_bytes, y + r * ldy, ldy);
  }
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

// ---- Float weights (F32 / F16 / BF16) with f32 activations ----

struct F32Load {
  static constexpr int kBytes = 4;
  static __m512 load(const uint8_t* p) { return _mm512_loadu_ps(reinterpret_cast<const float*>(p)); }
  static __m512 load_masked(const uint8_t* p, __mmask16 mask) {
    return _mm512_maskz_loadu_ps(mask, reinterpret_cast<const float*>(p));
  }
};
struct F16Load {
  static constexpr int kBytes = 2;
  static __m512 load(const uint8_t* p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  static __m512 load_masked(const uint8_t* p, __mmask16 mask) {
    return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(mask, p));
  }
};
struct Bf16Load {
  static constexpr int kBytes = 2;
  static __m512 widen(__m256i h) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  }
  static __m512 load(const uint8_t* p) {
    return widen(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  static __m512 load_masked(const uint8_t* p, __mmask16 mask) {
    return widen(_mm256_maskz_loadu_epi16(mask, p));
  }
};

template <class L, int NX>
void float_micro(int64_t k, const uint8_t* w, const uint8_t* x, size_t x_row_bytes, float* y,
                 int64_t ldy) {
  __m512 acc[NX];
  #pragma GCC unroll 8
  for (int r = 0; r < NX; ++r) acc[r] = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= k; i += 16) {
    const __m512 wv = L::load(w + i * L::kBytes);
    #pragma GCC unroll 8
    for (int r = 0; r < NX; ++r) {
      const float* xr = reinterpret_cast<const float*>(x + r * x_row_bytes);
      acc[r] = _mm512_fmadd_ps(wv, _mm512_loadu_ps(xr + i), acc[r]);
    }
  }
  if (i < k) {
    const __mmask16 mask = static_cast<__mmask16>((1u << (k - i)) - 1u);
    const __m512 wv = L::load_masked(w + i * L::kBytes, mask);
    #pragma GCC unroll 8
    for (int r = 0; r < NX; ++r) {
      const float* xr = reinterpret_cast<const float*>(x + r * x_row_bytes);
      acc[r] = _mm512_fmadd_ps(wv, _mm512_maskz_loadu_ps(mask, xr + i), acc[r]);
    }
  }
  #pragma GCC unroll 8
  for (int r = 0; r < NX; ++r) y[r * ldy] = _mm512_reduce_add_ps(acc[r]);
}

template <class L>
void gemm_float(int64_t k, const uint8_t* w, size_t w_row_bytes, int num_w, const uint8_t* x,
                size_t x_row_bytes, int num_x, float* y, int64_t ldy) {
  for (int r = 0; r < num_x; r += 4) {
    const int nx = num_x - r < 4 ? num_x - r : 4;
    const uint8_t* xr = x + r * x_row_bytes;
    for (int c = 0; c < num_w; ++c) {
      const uint8_t* wc = w + c * w_row_bytes;
      float* yc = y + r * ldy + c;
      if (nx == 4) float_micro<L, 4>(k, wc, xr, x_row_bytes, yc, ldy);
      if (nx == 3) float_micro<L, 3>(k, wc, xr, x_row_bytes, yc, ldy);
      if (nx == 2) float_micro<L, 2>(k, wc, xr, x_row_bytes, yc, ldy);
      if (nx == 1) float_micro<L, 1>(k, wc, xr, x_row_bytes, yc, ldy);
    }
  }
}

// ---- Activation quantization: Q8x32 ----

void quantize_row_q8x32(const float* x, int64_t k, uint8_t* out) {
  const int64_t nb = k / 32;
  int8_t* qs = reinterpret_cast<int8_t*>(out);
  float* dvec = reinterpret_cast<float*>(out + k);
  float* svec = dvec + nb * 8;
  for (int64_t b = 0; b < nb; ++b) {
    const __m512 x0 = _mm512_loadu_ps(x + b * 32);
    const __m512 x1 = _mm512_loadu_ps(x + b * 32 + 16);
    const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(x0), _mm512_abs_ps(x1)));
    const float d = amax / 127.0f;  // ggml's Q8_0 / Q8_1 rounding, see quantize_row_q8x32_ref
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    const __m512 vid = _mm512_set1_ps(id);
    const __m512i q0 = _mm512_cvtps_epi32(_mm512_mul_ps(x0, vid));  // round to nearest even
    const __m512i q1 = _mm512_cvtps_epi32(_mm512_mul_ps(x1, vid));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(qs + b * 32), _mm512_cvtsepi32_epi8(q0));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(qs + b * 32 + 16), _mm512_cvtsepi32_epi8(q1));
    const int sum = _mm512_reduce_add_epi32(_mm512_add_epi32(q0, q1));
    const float d16 = _cvtsh_ss(_cvtss_sh(d, _MM_FROUND_TO_NEAREST_INT));
    const float s16 = _cvtsh_ss(_cvtss_sh(d * static_cast<float>(sum), _MM_FROUND_TO_NEAREST_INT));
    _mm256_storeu_ps(dvec + b * 8, _mm256_set1_ps(d16));
    _mm256_storeu_ps(svec + b * 8, _mm256_setr_ps(s16, 0, 0, 0, 0, 0, 0, 0));
  }
}

// ---- Vector primitives ----

inline __mmask16 tail_mask(int64_t rest) { return static_cast<__mmask16>((1u << rest) - 1u); }

float dot_f32(const float* a, const float* b, int64_t n) {
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
    acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), acc1);
  }
  for (; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? static_cast<__mmask16>(0xFFFF) : tail_mask(n - i);
    acc0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), acc0);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
}

float dot_f16_f32(const uint16_t* a, const float* b, int64_t n) {
  __m512 acc = _mm512_setzero_ps();
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? static_cast<__mmask16>(0xFFFF) : tail_mask(n - i);
    const __m512 av = _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, a + i));
    acc = _mm512_fmadd_ps(av, _mm512_maskz_loadu_ps(m, b + i), acc);
  }
  return _mm512_reduce_add_ps(acc);
}

void axpy_f32(float alpha, const float* x, float* y, int64_t n) {
  const __m512 va = _mm512_set1_ps(alpha);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? static_cast<__mmask16>(0xFFFF) : tail_mask(n - i);
    const __m512 r = _mm512_fmadd_ps(va, _mm512_maskz_loadu_ps(m, x + i), _mm512_maskz_loadu_ps(m, y + i));
    _mm512_mask_storeu_ps(y + i, m, r);
  }
}

void axpy_f16(float alpha, const uint16_t* x, float* y, int64_t n) {
  const __m512 va = _mm512_set1_ps(alpha);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? static_cast<__mmask16>(0xFFFF) : tail_mask(n - i);
    const __m512 xv = _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, x + i));
    _mm512_mask_storeu_ps(y + i, m, _mm512_fmadd_ps(va, xv, _mm512_maskz_loadu_ps(m, y + i)));
  }
}

void scale_f32(float alpha, float* y, int64_t n) {
  const __m512 va = _mm512_set1_ps(alpha);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? static_cast<__mmask16>(0xFFFF) : tail_mask(n - i);
    _mm512_mask_storeu_ps(y + i, m, _mm512_mul_ps(va, _mm512_maskz_loadu_ps(m, y + i)));
  }
}

void fp16_to_fp32_row(const uint16_t* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? static_cast<__mmask16>(0xFFFF) : tail_mask(n - i);
    _mm512_mask_storeu_ps(dst + i, m, _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, src + i)));
  }
}

void fp32_to_fp16_row(const float* src, uint16_t* dst, int64_t n) {
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? static_cast<__mmask16>(0xFFFF) : tail_mask(n - i);
    const __m256i h = _mm512_cvtps_ph(_mm512_maskz_loadu_ps(m, src + i), _MM_FROUND_TO_NEAREST_INT);
    _mm256_mask_storeu_epi16(dst + i, m, h);
  }
}

void bf16_to_fp32_row(const uint16_t* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? static_cast<__mmask16>(0xFFFF) : tail_mask(n - i);
    _mm512_mask_storeu_ps(dst + i, m, Bf16Load::widen(_mm256_maskz_loadu_epi16(m, src + i)));
  }
}

#include "engine/cpu/vec_dot_kquant_impl.h"  // K-quant kernels, compiled for this ISA

}  // namespace

void fill_kernels_avx512(KernelTable& t) {
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
  t.bf16_to_fp32_row = &bf16_to_fp32_row;
  t.dot_f32 = &dot_f32;
  t.dot_f16_f32 = &dot_f16_f32;
  t.axpy_f32 = &axpy_f32;
  t.axpy_f16 = &axpy_f16;
  t.scale_f32 = &scale_f32;
  fill_elementwise_avx512(t);
}

}  // namespace asc::cpu
