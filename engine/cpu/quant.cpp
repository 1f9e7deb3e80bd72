// Scalar reference dequantization of every GGUF type we support, and the reference quantizers
// (activations: Q8x32, Q8_K; weights: Q4_0, Q4_1, Q8_0 by round-to-nearest).
//
// Layouts follow ggml's block formats (ggml-common.h); they are checked against the gguf Python
// package's dequantization by tests/cpu/quant_test.cpp with fixtures from
// scripts/make-quant-fixtures.py.
#include "engine/cpu/quant.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/core/status.h"
#include "engine/cpu/fp16.h"

namespace asc::cpu {

namespace {

template <typename Block>
const Block* blocks_of(const uint8_t* src) {
  return reinterpret_cast<const Block*>(src);
}

void dequantize_q4_0(const uint8_t* src, float* dst, int64_t nb) {
  const BlockQ4_0* b = blocks_of<BlockQ4_0>(src);
  for (int64_t i = 0; i < nb; ++i, dst += kQk) {
    const float d = fp16_to_fp32(b[i].d);
    for (int j = 0; j < kQk / 2; ++j) {
      dst[j] = d * static_cast<float>((b[i].qs[j] & 0xF) - 8);
      dst[j + kQk / 2] = d * static_cast<float>((b[i].qs[j] >> 4) - 8);
    }
  }
}

void dequantize_q4_1(const uint8_t* src, float* dst, int64_t nb) {
  const BlockQ4_1* b = blocks_of<BlockQ4_1>(src);
  for (int64_t i = 0; i < nb; ++i, dst += kQk) {
    const float d = fp16_to_fp32(b[i].d);
    const float m = fp16_to_fp32(b[i].m);
    for (int j = 0; j < kQk / 2; ++j) {
      dst[j] = d * static_cast<float>(b[i].qs[j] & 0xF) + m;
      dst[j + kQk / 2] = d * static_cast<float>(b[i].qs[j] >> 4) + m;
    }
  }
}

void dequantize_q8_0(const uint8_t* src, float* dst, int64_t nb) {
  const BlockQ8_0* b = blocks_of<BlockQ8_0>(src);
  for (int64_t i = 0; i < nb; ++i, dst += kQk) {
    const float d = fp16_to_fp32(b[i].d);
    for (int j = 0; j < kQk; ++j) dst[j] = d * static_cast<float>(b[i].qs[j]);
  }
}

void dequantize_q4_k(const uint8_t* src, float* dst, int64_t nb) {
  const BlockQ4_K* b = blocks_of<BlockQ4_K>(src);
  for (int64_t i = 0; i < nb; ++i) {
    const float d = fp16_to_fp32(b[i].d);
    const float dmin = fp16_to_fp32(b[i].dmin);
    const uint8_t* q = b[i].qs;
    for (int group = 0; group < 4; ++group, q += 32) {  // 64 elements: low then high nibbles
      uint8_t sc0, m0, sc1, m1;
      unpack_k_scale_min(2 * group, b[i].scales, &sc0, &m0);
      unpack_k_scale_min(2 * group + 1, b[i].scales, &sc1, &m1);
      for (int l = 0; l < 32; ++l) *dst++ = d * sc0 * static_cast<float>(q[l] & 0xF) - dmin * m0;
      for (int l = 0; l < 32; ++l) *dst++ = d * sc1 * static_cast<float>(q[l] >> 4) - dmin * m1;
    }
  }
}

void dequantize_q5_k(const uint8_t* src, float* dst, int64_t nb) {
  const BlockQ5_K* b = blocks_of<BlockQ5_K>(src);
  for (int64_t i = 0; i < nb; ++i) {
    const float d = fp16_to_fp32(b[i].d);
    const float dmin = fp16_to_fp32(b[i].dmin);
    const uint8_t* q = b[i].qs;
    for (int group = 0; group < 4; ++group, q += 32) {
      uint8_t sc0, m0, sc1, m1;
      unpack_k_scale_min(2 * group, b[i].scales, &sc0, &m0);
      unpack_k_scale_min(2 * group + 1, b[i].scales, &sc1, &m1);
      const int lo_bit = 2 * group;  // qh bit of the low-nibble half of this group
      for (int l = 0; l < 32; ++l) {
        const int v = (q[l] & 0xF) + (((b[i].qh[l] >> lo_bit) & 1) << 4);
        *dst++ = d * sc0 * static_cast<float>(v) - dmin * m0;
      }
      for (int l = 0; l < 32; ++l) {
        const int v = (q[l] >> 4) + (((b[i].qh[l] >> (lo_bit + 1)) & 1) << 4);
        *dst++ = d * sc1 * static_cast<float>(v) - dmin * m1;
      }
    }
  }
}

void dequantize_q6_k(const uint8_t* src, float* dst, int64_t nb) {
  const BlockQ6_K* b = blocks_of<BlockQ6_K>(src);
  for (int64_t i = 0; i < nb; ++i) {
    const float d = fp16_to_fp32(b[i].d);
    const uint8_t* ql = b[i].ql;
    const uint8_t* qh = b[i].qh;
    const int8_t* sc = b[i].scales;
    for (int half = 0; half < 2; ++half, ql += 64, qh += 32, sc += 8, dst += 128) {
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        const int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
        const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        dst[l] = d * sc[is + 0] * static_cast<float>(q1);
        dst[l + 32] = d * sc[is + 2] * static_cast<float>(q2);
        dst[l + 64] = d * sc[is + 4] * static_cast<float>(q3);
        dst[l + 96] = d * sc[is + 6] * static_cast<float>(q4);
      }
    }
  }
}

}  // namespace

bool is_supported_weight_type(DType type) {
  return dtype_traits(static_cast<uint32_t>(type)) != nullptr;
}

void dequantize_row(DType type, const uint8_t* src, float* dst, int64_t n) {
  const DTypeTraits* traits = dtype_traits(static_cast<uint32_t>(type));
  ASC_CHECK(traits != nullptr);
  ASC_CHECK(n % traits->block_elems == 0);
  const int64_t nb = n / traits->block_elems;
  switch (type) {
    case DType::kF32: std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float)); return;
    case DType::kF16: {
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, src + 2 * i, 2);
        dst[i] = fp16_to_fp32(h);
      }
      return;
    }
    case DType::kBF16: {
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, src + 2 * i, 2);
        dst[i] = bf16_to_fp32(h);
      }
      return;
    }
    case DType::kQ4_0: dequantize_q4_0(src, dst, nb); return;
    case DType::kQ4_1: dequantize_q4_1(src, dst, nb); return;
    case DType::kQ8_0: dequantize_q8_0(src, dst, nb); return;
    case DType::kQ4_K: dequantize_q4_k(src, dst, nb); return;
    case DType::kQ5_K: dequantize_q5_k(src, dst, nb); return;
    case DType::kQ6_K: dequantize_q6_k(src, dst, nb); return;
  }
}

void quantize_row_q8x32_ref(const float* x, int64_t k, uint8_t* out) {
  ASC_CHECK(k % kQk == 0);
  const int64_t nb = k / kQk;
  int8_t* qs = reinterpret_cast<int8_t*>(out);
  float* dvec = reinterpret_cast<float*>(out + k);
  float* svec = dvec + nb * 8;
  for (int64_t b = 0; b < nb; ++b) {
    const float* xb = x + b * kQk;
    float amax = 0.0f;
    for (int j = 0; j < kQk; ++j) amax = std::max(amax, std::fabs(xb[j]));
    // As ggml's Q8_0 / Q8_1 activations: q = round(x * 127 / amax); the scale d and the block
    // sum d * sum(q) are stored rounded to f16 (the sum from the unrounded d).
    const float d = amax / 127.0f;
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    int sum = 0;
    for (int j = 0; j < kQk; ++j) {
      const int q = static_cast<int>(std::nearbyint(xb[j] * id));
      qs[b * kQk + j] = static_cast<int8_t>(q);
      sum += q;
    }
    const float d16 = fp16_to_fp32(fp32_to_fp16(d));
    const float s16 = fp16_to_fp32(fp32_to_fp16(d * static_cast<float>(sum)));
    for (int j = 0; j < 8; ++j) {
      dvec[b * 8 + j] = d16;
      svec[b * 8 + j] = j == 0 ? s16 : 0.0f;
    }
  }
}

void quantize_row_q8k_ref(const float* x, int64_t k, BlockQ8K* out) {
  ASC_CHECK(k % kQkK == 0);
  for (int64_t b = 0; b < k / kQkK; ++b) {
    const float* xb = x + b * kQkK;
    float amax = 0.0f;
    for (int j = 0; j < kQkK; ++j) amax = std::max(amax, std::fabs(xb[j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    out[b].d = d;
    for (int g = 0; g < kQkK / 16; ++g) {
      int sum = 0;
      for (int j = 0; j < 16; ++j) {
        const int q = static_cast<int>(std::nearbyint(xb[g * 16 + j] * id));
        out[b].qs[g * 16 + j] = static_cast<int8_t>(q);
        sum += q;
      }
      out[b].bsums[g] = static_cast<int16_t>(sum);
    }
  }
}

void quantize_row_ref(DType type, const float* x, int64_t k, uint8_t* out) {
  ASC_CHECK(k % kQk == 0);
  const int64_t nb = k / kQk;
  for (int64_t b = 0; b < nb; ++b) {
    const float* xb = x + b * kQk;
    if (type == DType::kQ8_0) {
      BlockQ8_0* o = reinterpret_cast<BlockQ8_0*>(out) + b;
      float amax = 0.0f;
      for (int j = 0; j < kQk; ++j) amax = std::max(amax, std::fabs(xb[j]));
      const float d = amax / 127.0f;
      const float id = d != 0.0f ? 1.0f / d : 0.0f;
      o->d = fp32_to_fp16(d);
      for (int j = 0; j < kQk; ++j) o->qs[j] = static_cast<int8_t>(std::nearbyint(xb[j] * id));
    } else if (type == DType::kQ4_0) {
      BlockQ4_0* o = reinterpret_cast<BlockQ4_0*>(out) + b;
      float amax = 0.0f, vmax = 0.0f;  // signed value of largest magnitude maps to -8
      for (int j = 0; j < kQk; ++j) {
        if (std::fabs(xb[j]) > amax) { amax = std::fabs(xb[j]); vmax = xb[j]; }
      }
      const float d = vmax / -8.0f;
      const float id = d != 0.0f ? 1.0f / d : 0.0f;
      o->d = fp32_to_fp16(d);
      for (int j = 0; j < kQk / 2; ++j) {
        const int q0 = std::clamp(static_cast<int>(std::nearbyint(xb[j] * id)) + 8, 0, 15);
        const int q1 = std::clamp(static_cast<int>(std::nearbyint(xb[j + 16] * id)) + 8, 0, 15);
        o->qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
      }
    } else {
      ASC_CHECK(type == DType::kQ4_1);
      BlockQ4_1* o = reinterpret_cast<BlockQ4_1*>(out) + b;
      const float mn = *std::min_element(xb, xb + kQk);
      const float mx = *std::max_element(xb, xb + kQk);
      const float d = (mx - mn) / 15.0f;
      const float id = d != 0.0f ? 1.0f / d : 0.0f;
      o->d = fp32_to_fp16(d);
      o->m = fp32_to_fp16(mn);
      for (int j = 0; j < kQk / 2; ++j) {
        const int q0 = std::clamp(static_cast<int>(std::nearbyint((xb[j] - mn) * id)), 0, 15);
        const int q1 = std::clamp(static_cast<int>(std::nearbyint((xb[j + 16] - mn) * id)), 0, 15);
        o->qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
      }
    }
  }
}

}  // namespace asc::cpu
