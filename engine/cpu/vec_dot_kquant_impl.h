// K-quant (Q4_K, Q5_K, Q6_K) x Q8_K gemm kernels on 256-bit vectors, shared by the AVX2 and the
// AVX-512 translation units: each includes this header inside its own anonymous namespace (so
// every copy has internal linkage and its own ISA flags) after defining nothing else.
//
// Per 32 weights (one ymm): vpmaddubsw multiplies the unsigned quants with the signed Q8 values
// into int16 pairs (no saturation: 2 * 63 * 127 < 32767), and vpmaddwd by the sub-block scale
// widens to int32 with the scale applied. The constant parts (Q4_K/Q5_K mins, the Q6_K offset 32)
// use the activation's 16-element sums. Each unpacked weight block feeds up to 4 activation rows.
//
// Requires: <immintrin.h>, engine/cpu/quant.h; AVX2 + FMA + F16C.

/// Local copy of unpack_k_scale_min (quant.h) so no inline function is shared across ISA units.
inline void k_scale_min(int j, const uint8_t* q, uint8_t* scale, uint8_t* min) {
  if (j < 4) {
    *scale = q[j] & 63;
    *min = q[j + 4] & 63;
  } else {
    *scale = static_cast<uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    *min = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

inline int hsum_epi32_256(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
  return _mm_cvtsi128_si32(s);
}

inline float hsum_ps_256(__m256 v) {
  const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
  return _mm_cvtss_f32(_mm_add_ss(s2, _mm_movehdup_ps(s2)));
}

/// 8 int32 lanes: sum of scale * u8 * s8 over 32 bytes; `scale` is int16 per pair lane.
inline __m256i scaled_dot(__m256i u, __m256i s, __m256i scale16) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), scale16);
}

/// Q4_K / Q5_K: 8 sub-blocks of 32; kFifthBit selects Q5_K.
template <bool kFifthBit, int NX>
void k45_micro(int64_t k, const uint8_t* w, const uint8_t* x, size_t x_row_bytes, float* y,
               int64_t ldy) {
  const int64_t nb = k / kQkK;
  constexpr int kBlockBytes = kFifthBit ? sizeof(BlockQ5_K) : sizeof(BlockQ4_K);
  __m256 acc[NX];
  float acc_min[NX];
  #pragma GCC unroll 8
  for (int r = 0; r < NX; ++r) {
    acc[r] = _mm256_setzero_ps();
    acc_min[r] = 0.0f;
  }
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  for (int64_t i = 0; i < nb; ++i) {
    const uint8_t* blk = w + i * kBlockBytes;
    uint16_t d16, dmin16;
    std::memcpy(&d16, blk, 2);
    std::memcpy(&dmin16, blk + 2, 2);
    const float d = _cvtsh_ss(d16), dmin = _cvtsh_ss(dmin16);
    const uint8_t* scales = blk + 4;
    const uint8_t* qh = blk + 4 + kKScaleBytes;                       // Q5_K only
    const uint8_t* qs = blk + 4 + kKScaleBytes + (kFifthBit ? 32 : 0);
    uint8_t sc[8], mn[8];
    for (int j = 0; j < 8; ++j) k_scale_min(j, scales, &sc[j], &mn[j]);
    __m256i q[8];
    const __m256i hbits = kFifthBit ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qh))
                                    : _mm256_setzero_si256();
    for (int g = 0; g < 4; ++g) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qs + 32 * g));
      q[2 * g] = _mm256_and_si256(v, low4);
      q[2 * g + 1] = _mm256_and_si256(_mm256_srli_epi16(v, 4), low4);
      if constexpr (kFifthBit) {
        const __m256i one = _mm256_set1_epi8(1);
        const __m256i b0 = _mm256_and_si256(_mm256_srl_epi16(hbits, _mm_cvtsi32_si128(2 * g)), one);
        const __m256i b1 = _mm256_and_si256(_mm256_srl_epi16(hbits, _mm_cvtsi32_si128(2 * g + 1)), one);
        q[2 * g] = _mm256_or_si256(q[2 * g], _mm256_slli_epi16(b0, 4));
        q[2 * g + 1] = _mm256_or_si256(q[2 * g + 1], _mm256_slli_epi16(b1, 4));
      }
    }
    #pragma GCC unroll 8
    for (int r = 0; r < NX; ++r) {
      const BlockQ8K* a = reinterpret_cast<const BlockQ8K*>(x + r * x_row_bytes) + i;
      __m256i sumi = _mm256_setzero_si256();
      for (int j = 0; j < 8; ++j) {
        const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a->qs + 32 * j));
        sumi = _mm256_add_epi32(sumi, scaled_dot(q[j], xv, _mm256_set1_epi16(sc[j])));
      }
      int summ = 0;
      for (int j = 0; j < 8; ++j) summ += mn[j] * (a->bsums[2 * j] + a->bsums[2 * j + 1]);
      acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(a->d * d), _mm256_cvtepi32_ps(sumi), acc[r]);
      acc_min[r] += a->d * dmin * static_cast<float>(summ);
    }
  }
  #pragma GCC unroll 8
  for (int r = 0; r < NX; ++r) y[r * ldy] = hsum_ps_256(acc[r]) - acc_min[r];
}

/// Q6_K: 16 sub-blocks of 16, q = 6 bits - 32.
template <int NX>
void q6k_micro(int64_t k, const uint8_t* w, const uint8_t* x, size_t x_row_bytes, float* y,
               int64_t ldy) {
  const int64_t nb = k / kQkK;
  __m256 acc[NX];
  #pragma GCC unroll 8
  for (int r = 0; r < NX; ++r) acc[r] = _mm256_setzero_ps();
  const __m256i low4 = _mm256_set1_epi8(0x0F), low2 = _mm256_set1_epi8(0x03);
  for (int64_t i = 0; i < nb; ++i) {
    const BlockQ6_K* b = reinterpret_cast<const BlockQ6_K*>(w) + i;
    const float d = _cvtsh_ss(b->d);
    __m256i q[8];       // 32-element chunks in element order: half * 4 + quarter
    __m256i scale[8];   // int16 scales: lanes of elements 0-15 then 16-31 of the chunk
    for (int h = 0; h < 2; ++h) {
      const __m256i l0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b->ql + 64 * h));
      const __m256i l1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b->ql + 64 * h + 32));
      const __m256i hb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b->qh + 32 * h));
      const __m256i lows[4] = {_mm256_and_si256(l0, low4), _mm256_and_si256(l1, low4),
                               _mm256_and_si256(_mm256_srli_epi16(l0, 4), low4),
                               _mm256_and_si256(_mm256_srli_epi16(l1, 4), low4)};
      for (int quarter = 0; quarter < 4; ++quarter) {
        const __m256i high = _mm256_and_si256(_mm256_srl_epi16(hb, _mm_cvtsi32_si128(2 * quarter)), low2);
        q[4 * h + quarter] = _mm256_or_si256(lows[quarter], _mm256_slli_epi16(high, 4));
        const int s = 8 * h + 2 * quarter;
        scale[4 * h + quarter] =
            _mm256_set_m128i(_mm_set1_epi16(b->scales[s + 1]), _mm_set1_epi16(b->scales[s]));
      }
    }
    #pragma GCC unroll 8
    for (int r = 0; r < NX; ++r) {
      const BlockQ8K* a = reinterpret_cast<const BlockQ8K*>(x + r * x_row_bytes) + i;
      __m256i sumi = _mm256_setzero_si256();
      for (int c = 0; c < 8; ++c) {
        const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a->qs + 32 * c));
        sumi = _mm256_add_epi32(sumi, scaled_dot(q[c], xv, scale[c]));
      }
      int offset = 0;  // 32 * sum_j scale_j * sum(x of sub-block j)
      for (int j = 0; j < 16; ++j) offset += b->scales[j] * a->bsums[j];
      const float total = static_cast<float>(hsum_epi32_256(sumi) - 32 * offset);
      acc[r] = _mm256_add_ps(acc[r], _mm256_setr_ps(a->d * d * total, 0, 0, 0, 0, 0, 0, 0));
    }
  }
  #pragma GCC unroll 8
  for (int r = 0; r < NX; ++r) y[r * ldy] = hsum_ps_256(acc[r]);
}

template <class Micro>
void gemm_kquant_rows(Micro micro, int64_t k, const uint8_t* w, size_t w_row_bytes, int num_w,
                      const uint8_t* x, size_t x_row_bytes, int num_x, float* y, int64_t ldy) {
  for (int r = 0; r < num_x; r += 4) {
    const int nx = num_x - r < 4 ? num_x - r : 4;
    for (int c = 0; c < num_w; ++c) {
      micro(nx, k, w + c * w_row_bytes, x + r * x_row_bytes, x_row_bytes, y + r * ldy + c, ldy);
    }
  }
}

void gemm_q4_k(int64_t k, const uint8_t* w, size_t w_row_bytes, int num_w, const uint8_t* x,
               size_t x_row_bytes, int num_x, float* y, int64_t ldy) {
  auto micro = [](int nx, int64_t kk, const uint8_t* wr, const uint8_t* xr, size_t xrb, float* yr, int64_t ld) {
    if (nx == 4) k45_micro<false, 4>(kk, wr, xr, xrb, yr, ld);
    if (nx == 3) k45_micro<false, 3>(kk, wr, xr, xrb, yr, ld);
    if (nx == 2) k45_micro<false, 2>(kk, wr, xr, xrb, yr, ld);
    if (nx == 1) k45_micro<false, 1>(kk, wr, xr, xrb, yr, ld);
  };
  gemm_kquant_rows(micro, k, w, w_row_bytes, num_w, x, x_row_bytes, num_x, y, ldy);
}

void gemm_q5_k(int64_t k, const uint8_t* w, size_t w_row_bytes, int num_w, const uint8_t* x,
               size_t x_row_bytes, int num_x, float* y, int64_t ldy) {
  auto micro = [](int nx, int64_t kk, const uint8_t* wr, const uint8_t* xr, size_t xrb, float* yr, int64_t ld) {
    if (nx == 4) k45_micro<true, 4>(kk, wr, xr, xrb, yr, ld);
    if (nx == 3) k45_micro<true, 3>(kk, wr, xr, xrb, yr, ld);
    if (nx == 2) k45_micro<true, 2>(kk, wr, xr, xrb, yr, ld);
    if (nx == 1) k45_micro<true, 1>(kk, wr, xr, xrb, yr, ld);
  };
  gemm_kquant_rows(micro, k, w, w_row_bytes, num_w, x, x_row_bytes, num_x, y, ldy);
}

void gemm_q6_k(int64_t k, const uint8_t* w, size_t w_row_bytes, int num_w, const uint8_t* x,
               size_t x_row_bytes, int num_x, float* y, int64_t ldy) {
  auto micro = [](int nx, int64_t kk, const uint8_t* wr, const uint8_t* xr, size_t xrb, float* yr, int64_t ld) {
    if (nx == 4) q6k_micro<4>(kk, wr, xr, xrb, yr, ld);
    if (nx == 3) q6k_micro<3>(kk, wr, xr, xrb, yr, ld);
    if (nx == 2) q6k_micro<2>(kk, wr, xr, xrb, yr, ld);
    if (nx == 1) q6k_micro<1>(kk, wr, xr, xrb, yr, ld);
  };
  gemm_kquant_rows(micro, k, w, w_row_bytes, num_w, x, x_row_bytes, num_x, y, ldy);
}
