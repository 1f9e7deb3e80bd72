// Device-side decoding of GGUF weight rows, 32 elements ("a chunk") at a time.
//
// Every supported type decodes in chunks of 32 consecutive elements: the Q*_0/Q*_1 blocks are
// chunks; a K-quant super-block of 256 is 8 chunks (one 6-bit scale/min pair per Q4_K/Q5_K chunk,
// two 8-bit scales per Q6_K chunk). The bit layouts are GGUF's, as decoded by the CPU reference
// (engine/cpu/quant.cpp, the oracle of these functions' tests).
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

#include "engine/model/tensor.h"

namespace asc::cuda {

__device__ __forceinline__ float half_bits_to_float(const uint8_t* p) {
  const uint16_t bits = static_cast<uint16_t>(p[0] | (p[1] << 8));
  return __half2float(__ushort_as_half(bits));
}

__device__ __forceinline__ void k_scale_min(int j, const uint8_t* q, int* sc, int* mn) {
  if (j < 4) {
    *sc = q[j] & 63;
    *mn = q[j + 4] & 63;
  } else {
    *sc = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
    *mn = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

/// Decodes chunk c (elements [32c, 32c + 32)) of the row at `row` into out[32].
__device__ __forceinline__ void dequant_chunk32(DType type, const uint8_t* row, int64_t c, float* out) {
  switch (type) {
    case DType::kF32: {
      const float* p = reinterpret_cast<const float*>(row) + c * 32;
#pragma unroll
      for (int j = 0; j < 32; ++j) out[j] = p[j];
      return;
    }
    case DType::kF16: {
      const __half* p = reinterpret_cast<const __half*>(row) + c * 32;
#pragma unroll
      for (int j = 0; j < 32; ++j) out[j] = __half2float(p[j]);
      return;
    }
    case DType::kBF16: {
      const __nv_bfloat16* p = reinterpret_cast<const __nv_bfloat16*>(row) + c * 32;
#pragma unroll
      for (int j = 0; j < 32; ++j) out[j] = __bfloat162float(p[j]);
      return;
    }
    case DType::kQ4_0: {
      const uint8_t* b = row + c * 18;
      const float d = half_bits_to_float(b);
#pragma unroll
      for (int j = 0; j < 16; ++j) {
        const int q = b[2 + j];
        out[j] = d * static_cast<float>((q & 0xF) - 8);
        out[j + 16] = d * static_cast<float>((q >> 4) - 8);
      }
      return;
    }
    case DType::kQ4_1: {
      const uint8_t* b = row + c * 20;
      const float d = half_bits_to_float(b);
      const float m = half_bits_to_float(b + 2);
#pragma unroll
      for (int j = 0; j < 16; ++j) {
        const int q = b[4 + j];
        out[j] = d * static_cast<float>(q & 0xF) + m;
        out[j + 16] = d * static_cast<float>(q >> 4) + m;
      }
      return;
    }
    case DType::kQ8_0: {
      const uint8_t* b = row + c * 34;
      const float d = half_bits_to_float(b);
#pragma unroll
      for (int j = 0; j < 32; ++j) out[j] = d * static_cast<float>(static_cast<int8_t>(b[2 + j]));
      return;
    }
    case DType::kQ4_K:
    case DType::kQ5_K: {
      const bool q5 = type == DType::kQ5_K;
      const uint8_t* b = row + (c / 8) * (q5 ? 176 : 144);
      const int sub = static_cast<int>(c % 8);
      const float d = half_bits_to_float(b);
      const float dmin = half_bits_to_float(b + 2);
      int sc = 0;
      int mn = 0;
      k_scale_min(sub, b + 4, &sc, &mn);
      const uint8_t* qh = b + 16;                      // Q5_K only
      const uint8_t* qs = b + (q5 ? 48 : 16) + (sub / 2) * 32;
      const int shift = (sub & 1) * 4;
      const float scale = d * static_cast<float>(sc);
      const float offset = dmin * static_cast<float>(mn);
#pragma unroll
      for (int l = 0; l < 32; ++l) {
        int v = (qs[l] >> shift) & 0xF;
        if (q5) v += ((qh[l] >> sub) & 1) << 4;
        out[l] = scale * static_cast<float>(v) - offset;
      }
      return;
    }
    case DType::kQ6_K: {
      const uint8_t* b = row + (c / 8) * 210;
      const int w = static_cast<int>(c % 8);
      const int half = w / 4;
      const int quarter = w % 4;
      const uint8_t* ql = b + half * 64 + (quarter & 1) * 32;
      const uint8_t* qh = b + 128 + half * 32;
      const int8_t* sc = reinterpret_cast<const int8_t*>(b + 192) + half * 8 + 2 * quarter;
      const float d = half_bits_to_float(b + 208);
      const int lshift = quarter >= 2 ? 4 : 0;
      const int hshift = 2 * quarter;
#pragma unroll
      for (int l = 0; l < 32; ++l) {
        const int q = (((ql[l] >> lshift) & 0xF) | (((qh[l] >> hshift) & 3) << 4)) - 32;
        out[l] = d * static_cast<float>(sc[l / 16]) * static_cast<float>(q);
      }
      return;
    }
  }
#pragma unroll
  for (int j = 0; j < 32; ++j) out[j] = 0.0f;  // unreachable: types are checked on the host
}

}  // namespace asc::cuda
