// Shared helpers of the CPU kernel tests: random weight rows of every DType, the ISA levels this
// CPU can run, and a naive dequantize-then-dot reference.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "engine/cpu/cpu_features.h"
#include "engine/cpu/fp16.h"
#include "engine/cpu/quant.h"
#include "engine/model/tensor.h"

namespace asc::cpu::testing {

inline const std::vector<DType>& all_weight_types() {
  static const std::vector<DType> types = {DType::kF32,  DType::kF16,  DType::kBF16,
                                           DType::kQ4_0, DType::kQ4_1, DType::kQ8_0,
                                           DType::kQ4_K, DType::kQ5_K, DType::kQ6_K};
  return types;
}

/// SIMD levels above scalar that this CPU supports; prints the ones skipped.
inline std::vector<IsaLevel> simd_levels() {
  const CpuFeatures f = detect_cpu_features();
  std::vector<IsaLevel> out;
  for (IsaLevel level : {IsaLevel::kAvx2, IsaLevel::kAvx512}) {
    if (isa_supported(f, level)) {
      out.push_back(level);
    } else {
      std::printf("[ SKIPPED ] ISA %s: not supported by this CPU\n", isa_name(level));
    }
  }
  return out;
}

inline std::vector<float> random_floats(std::mt19937& rng, int64_t n, float scale = 1.0f) {
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(rng);
  return v;
}

/// `rows` random rows of k elements in `type`, [rows * dtype_row_bytes(type, k)] bytes.
inline std::vector<uint8_t> random_weights(std::mt19937& rng, DType type, int64_t rows, int64_t k) {
  const size_t row_bytes = dtype_row_bytes(type, k);
  std::vector<uint8_t> out(row_bytes * static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {
    uint8_t* dst = out.data() + r * row_bytes;
    const std::vector<float> x = random_floats(rng, k, 0.5f);
    switch (type) {
      case DType::kF32: std::memcpy(dst, x.data(), row_bytes); break;
      case DType::kF16:
      case DType::kBF16:
        for (int64_t i = 0; i < k; ++i) {
          const uint16_t h = type == DType::kF16 ? fp32_to_fp16(x[i]) : fp32_to_bf16(x[i]);
          std::memcpy(dst + 2 * i, &h, 2);
        }
        break;
      case DType::kQ4_0:
      case DType::kQ4_1:
      case DType::kQ8_0: quantize_row_ref(type, x.data(), k, dst); break;
      case DType::kQ4_K:
      case DType::kQ5_K:
      case DType::kQ6_K: {
        // Random bits are valid K-quant blocks; only the f16 super-scales need finite values.
        std::uniform_int_distribution<int> byte(0, 255);
        std::uniform_real_distribution<float> scale(0.001f, 0.02f);
        for (size_t i = 0; i < row_bytes; ++i) dst[i] = static_cast<uint8_t>(byte(rng));
        const int block_bytes = dtype_traits(static_cast<uint32_t>(type))->block_bytes;
        for (int64_t b = 0; b < k / kQkK; ++b) {
          uint8_t* blk = dst + b * block_bytes;
          const uint16_t d = fp32_to_fp16(scale(rng)), dmin = fp32_to_fp16(scale(rng));
          if (type == DType::kQ6_K) {
            std::memcpy(blk + block_bytes - 2, &d, 2);
          } else {
            std::memcpy(blk, &d, 2);
            std::memcpy(blk + 2, &dmin, 2);
          }
        }
        break;
      }
    }
  }
  return out;
}

/// Naive reference: dot of the dequantized weight row with x in double precision.
inline double reference_dot(DType type, const uint8_t* w_row, const float* x, int64_t k) {
  std::vector<float> w(static_cast<size_t>(k));
  dequantize_row(type, w_row, w.data(), k);
  double acc = 0.0;
  for (int64_t i = 0; i < k; ++i) acc += static_cast<double>(w[i]) * x[i];
  return acc;
}

}  // namespace asc::cpu::testing
