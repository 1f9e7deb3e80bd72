// Quantized block layouts (bit-compatible with GGUF / ggml), scalar reference dequantization, and
// the activation quantization used by the integer matmul kernels.
//
// Weight blocks (GGUF): a row of k elements is k / block_elems consecutive blocks.
//   Q4_0  x = d * (q - 8),  q in [0, 15]; byte j holds element j (low nibble) and j + 16 (high).
//   Q4_1  x = d * q + m.
//   Q8_0  x = d * q,  q in [-128, 127].
//   Q4_K  256 = 8 sub-blocks of 32: x = d * sc[j] * q - dmin * mn[j]; 6-bit sc/mn packed in 12 bytes.
//   Q5_K  as Q4_K with a fifth bit per element in qh.
//   Q6_K  256 = 16 sub-blocks of 16: x = d * scales[j] * (q - 32), q = 4 low bits (ql) + 2 high (qh).
//
// Activation formats (ours, not stored in files):
//   Q8x32 (for Q4_0, Q4_1, Q8_0 weights): a row of k = 32 * nb elements is laid out as
//     int8  qs[k]          quantized values, block b = qs[32b, 32b + 32)
//     float dvec[nb * 8]   block scale d_b repeated 8 times (one 256-bit vector per block)
//     float svec[nb * 8]   {d_b * sum(qs of block b), 0, 0, 0, 0, 0, 0, 0}
//   d_b and the block sum are rounded to f16 (values kept as floats), as in ggml's Q8_0 / Q8_1.
//   so SIMD kernels load per-block scales and sums directly as vectors, without broadcasts.
//   Q8_K (for K-quant weights): ggml's layout, blocks of 256 with a float scale and 16 sums.
#pragma once

#include <cstddef>
#include <cstdint>

#include "engine/model/tensor.h"

namespace asc::cpu {

inline constexpr int kQk = 32;    // elements per Q4_0 / Q4_1 / Q8_0 block
inline constexpr int kQkK = 256;  // elements per K-quant super-block
inline constexpr int kKScaleBytes = 12;

struct BlockQ4_0 {
  uint16_t d;           // f16 scale
  uint8_t qs[kQk / 2];  // nibbles
};
struct BlockQ4_1 {
  uint16_t d;  // f16 scale
  uint16_t m;  // f16 minimum
  uint8_t qs[kQk / 2];
};
struct BlockQ8_0 {
  uint16_t d;  // f16 scale
  int8_t qs[kQk];
};
struct BlockQ4_K {
  uint16_t d;                      // f16 super-block scale of the scales
  uint16_t dmin;                   // f16 super-block scale of the mins
  uint8_t scales[kKScaleBytes];    // 8 x (6-bit scale, 6-bit min)
  uint8_t qs[kQkK / 2];            // nibbles: 4 groups of 64 elements, 32 bytes each
};
struct BlockQ5_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[kKScaleBytes];
  uint8_t qh[kQkK / 8];  // fifth bits
  uint8_t qs[kQkK / 2];
};
struct BlockQ6_K {
  uint8_t ql[kQkK / 2];      // low 4 bits
  uint8_t qh[kQkK / 4];      // high 2 bits
  int8_t scales[kQkK / 16];  // 16 signed 8-bit sub-block scales
  uint16_t d;                // f16 super-block scale
};
/// Activation block for K-quant dot products (ggml's block_q8_K).
struct BlockQ8K {
  float d;                  // scale: x ~= d * qs
  int8_t qs[kQkK];
  int16_t bsums[kQkK / 16];  // sum of each 16 consecutive qs
};

static_assert(sizeof(BlockQ4_0) == 18);
static_assert(sizeof(BlockQ4_1) == 20);
static_assert(sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ4_K) == 144);
static_assert(sizeof(BlockQ5_K) == 176);
static_assert(sizeof(BlockQ6_K) == 210);
static_assert(sizeof(BlockQ8K) == 292);

/// True for the types dequantize_row and matmul accept (every DType in tensor.h).
bool is_supported_weight_type(DType type);

/// Scalar reference: dst[0, n) = the n values of the row at src. n must be a multiple of the
/// type's block size (ASC_CHECK). Used for embedding lookups and as the oracle of every kernel.
void dequantize_row(DType type, const uint8_t* src, float* dst, int64_t n);

/// Decodes the j-th (6-bit scale, 6-bit min) pair of a Q4_K / Q5_K scale array, j in [0, 8).
inline void unpack_k_scale_min(int j, const uint8_t* q, uint8_t* scale, uint8_t* min) {
  if (j < 4) {
    *scale = q[j] & 63;
    *min = q[j + 4] & 63;
  } else {
    *scale = static_cast<uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    *min = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

// ---- Activation quantization (scalar references; SIMD versions are in the KernelTable) ----

/// Bytes of one Q8x32 activation row of k elements (k a multiple of 32).
inline size_t q8x32_row_bytes(int64_t k) {
  const size_t nb = static_cast<size_t>(k / kQk);
  return static_cast<size_t>(k) + nb * 8 * sizeof(float) * 2;
}
/// Views into a Q8x32 row (see the file comment).
inline const int8_t* q8x32_qs(const uint8_t* row) { return reinterpret_cast<const int8_t*>(row); }
inline const float* q8x32_dvec(const uint8_t* row, int64_t k) {
  return reinterpret_cast<const float*>(row + k);
}
inline const float* q8x32_svec(const uint8_t* row, int64_t k) {
  return reinterpret_cast<const float*>(row + k) + (k / kQk) * 8;
}

/// Quantizes x[0, k) into a Q8x32 row at out (q8x32_row_bytes(k) bytes, 4-byte aligned):
/// d = max|x| / 127 per block, q = round(x / d).
void quantize_row_q8x32_ref(const float* x, int64_t k, uint8_t* out);

/// Quantizes x[0, k) into k / 256 Q8_K blocks (d = max|x| / 127, q = round(x / d)).
void quantize_row_q8k_ref(const float* x, int64_t k, BlockQ8K* out);

// ---- Weight quantization (round-to-nearest references, for tests and small runtime tensors) ----

/// Quantizes x[0, k) to Q4_0 / Q4_1 / Q8_0 blocks at out (dtype_row_bytes(type, k) bytes).
/// Other types are not produced here (ASC_CHECK); K-quant test data comes from gguf fixtures.
void quantize_row_ref(DType type, const float* x, int64_t k, uint8_t* out);

}  // namespace asc::cpu
