// Block layouts and dequantization against the gguf Python package (fixtures written by
// scripts/make-quant-fixtures.py), f16/bf16 conversions, and activation quantization.
#include "engine/cpu/quant.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "engine/cpu/fp16.h"
#include "engine/cpu/kernel_table.h"
#include "tests/cpu/vec_dot_test_util.h"

namespace asc::cpu {
namespace {

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

void check_fixture(const std::string& name, DType type) {
  const std::string base = std::string(ASC_SOURCE_DIR) + "/tests/golden/quant/" + name;
  const std::vector<uint8_t> raw = read_file(base + ".bin");
  const std::vector<uint8_t> expected_bytes = read_file(base + ".f32");
  ASSERT_FALSE(raw.empty()) << "missing fixture " << base << ".bin (scripts/make-quant-fixtures.py)";
  const int64_t n = static_cast<int64_t>(expected_bytes.size() / 4);
  ASSERT_EQ(dtype_row_bytes(type, n), raw.size()) << name;
  std::vector<float> expected(static_cast<size_t>(n));
  std::memcpy(expected.data(), expected_bytes.data(), expected_bytes.size());
  std::vector<float> got(static_cast<size_t>(n));
  dequantize_row(type, raw.data(), got.data(), n);
  int mismatches = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float tol = 1e-6f * std::fabs(expected[i]) + 1e-7f;
    if (std::fabs(got[i] - expected[i]) > tol && ++mismatches < 5) {
      ADD_FAILURE() << name << "[" << i << "]: got " << got[i] << " want " << expected[i];
    }
  }
  EXPECT_EQ(mismatches, 0) << name;
}

TEST(Dequantize, MatchesGgufPackage) {
  check_fixture("F16", DType::kF16);
  check_fixture("BF16", DType::kBF16);
  check_fixture("Q4_0", DType::kQ4_0);
  check_fixture("Q4_1", DType::kQ4_1);
  check_fixture("Q8_0", DType::kQ8_0);
  check_fixture("Q4_K", DType::kQ4_K);
  check_fixture("Q5_K", DType::kQ5_K);
  check_fixture("Q6_K", DType::kQ6_K);
}

TEST(Dequantize, MatchesGgufPackageOnRealModelRows) {
  check_fixture("model_Q4_1", DType::kQ4_1);  // blk.0.ffn_down.weight, 2 rows of 1536
  check_fixture("model_Q8_0", DType::kQ8_0);  // token_embd.weight, 2 rows of 576
}

TEST(Fp16, EveryHalfRoundTrips) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const float f = fp16_to_fp32(static_cast<uint16_t>(h));
    const float want = static_cast<float>(std::bit_cast<_Float16>(static_cast<uint16_t>(h)));
    if (std::isnan(want)) {
      ASSERT_TRUE(std::isnan(f)) << "half " << h;
      continue;
    }
    ASSERT_EQ(f, want) << "half " << h;
    ASSERT_EQ(fp32_to_fp16(f), h) << "half " << h;
  }
}

TEST(Fp16, RoundsLikeTheCompiler) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<uint32_t> bits(0, 0xffffffffu);
  for (int i = 0; i < 200000; ++i) {
    // Floats around the half range: exponents from subnormal halves to beyond 65504.
    uint32_t b = bits(rng);
    b = (b & 0x807fffffu) | ((100u + (b >> 23) % 45u) << 23);
    const float f = std::bit_cast<float>(b);
    ASSERT_EQ(fp32_to_fp16(f), std::bit_cast<uint16_t>(static_cast<_Float16>(f))) << f;
  }
}

TEST(Bf16, RoundsToNearestEven) {
  EXPECT_EQ(fp32_to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(bf16_to_fp32(0x3f80), 1.0f);
  EXPECT_EQ(fp32_to_bf16(std::bit_cast<float>(0x3f808000u)), 0x3f80);  // tie -> even
  EXPECT_EQ(fp32_to_bf16(std::bit_cast<float>(0x3f818000u)), 0x3f82);  // tie -> even (up)
  EXPECT_EQ(fp32_to_bf16(std::bit_cast<float>(0x3f808001u)), 0x3f81);
  EXPECT_TRUE(std::isnan(bf16_to_fp32(fp32_to_bf16(std::nanf("")))));
}

TEST(QuantizeWeights, RoundTripErrorWithinHalfStep) {
  std::mt19937 rng(11);
  const int64_t k = 256;
  const std::vector<float> x = testing::random_floats(rng, k);
  for (DType type : {DType::kQ4_0, DType::kQ4_1, DType::kQ8_0}) {
    std::vector<uint8_t> q(dtype_row_bytes(type, k));
    quantize_row_ref(type, x.data(), k, q.data());
    std::vector<float> back(static_cast<size_t>(k));
    dequantize_row(type, q.data(), back.data(), k);
    for (int64_t b = 0; b < k / kQk; ++b) {
      float lo = x[b * kQk], hi = x[b * kQk];
      for (int j = 0; j < kQk; ++j) {
        lo = std::min(lo, x[b * kQk + j]);
        hi = std::max(hi, x[b * kQk + j]);
      }
      const float amax = std::max(std::fabs(lo), std::fabs(hi));
      const float step = type == DType::kQ8_0 ? amax / 127 : type == DType::kQ4_0 ? amax / 8 : (hi - lo) / 15;
      // Half a step plus the f16 rounding of the scale (and of the Q4_1 minimum); Q4_0 maps the
      // largest magnitude to -8, so +amax on the other side clips to +7: up to one full step.
      const float bound = (type == DType::kQ4_0 ? 1.0f : 0.5f) * step * 1.01f + 2e-3f * amax;
      for (int j = 0; j < kQk; ++j) {
        EXPECT_NEAR(back[b * kQk + j], x[b * kQk + j], bound)
            << dtype_name(type) << " element " << b * kQk + j;
      }
    }
  }
}

TEST(QuantizeActivations, Q8x32LayoutAndError) {
  std::mt19937 rng(3);
  const int64_t k = 96;
  const std::vector<float> x = testing::random_floats(rng, k, 2.0f);
  std::vector<uint8_t> q(q8x32_row_bytes(k));
  quantize_row_q8x32_ref(x.data(), k, q.data());
  const int8_t* qs = q8x32_qs(q.data());
  const float* dvec = q8x32_dvec(q.data(), k);
  const float* svec = q8x32_svec(q.data(), k);
  for (int64_t b = 0; b < k / kQk; ++b) {
    // ggml's rounding: d = amax / 127 and s = d * sum(q) are stored rounded to f16.
    float amax = 0.0f;
    for (int j = 0; j < kQk; ++j) amax = std::max(amax, std::fabs(x[b * kQk + j]));
    const float d_exact = amax / 127.0f;
    int sum = 0;
    for (int j = 0; j < kQk; ++j) {
      EXPECT_NEAR(qs[b * kQk + j] * d_exact, x[b * kQk + j], 0.5f * d_exact * 1.0001f);
      sum += qs[b * kQk + j];
    }
    const float s = fp16_to_fp32(fp32_to_fp16(d_exact * static_cast<float>(sum)));
    for (int j = 0; j < 8; ++j) {
      EXPECT_EQ(dvec[b * 8 + j], fp16_to_fp32(fp32_to_fp16(d_exact)));
      EXPECT_EQ(svec[b * 8 + j], j == 0 ? s : 0.0f);
    }
  }
}

TEST(QuantizeActivations, Q8KSumsAndError) {
  std::mt19937 rng(5);
  const int64_t k = 512;
  const std::vector<float> x = testing::random_floats(rng, k, 3.0f);
  std::vector<BlockQ8K> q(static_cast<size_t>(k / kQkK));
  quantize_row_q8k_ref(x.data(), k, q.data());
  for (int64_t b = 0; b < k / kQkK; ++b) {
    for (int g = 0; g < 16; ++g) {
      int sum = 0;
      for (int j = 0; j < 16; ++j) {
        const int idx = g * 16 + j;
        sum += q[b].qs[idx];
        EXPECT_NEAR(q[b].qs[idx] * q[b].d, x[b * kQkK + idx], 0.5f * q[b].d * 1.0001f);
      }
      EXPECT_EQ(q[b].bsums[g], sum);
    }
  }
}

TEST(QuantizeActivations, SimdMatchesReferenceExactly) {
  std::mt19937 rng(9);
  for (IsaLevel level : testing::simd_levels()) {
    const KernelTable& kt = kernel_table(level);
    for (int64_t k : {32, 64, 576, 1536}) {
      std::vector<float> x = testing::random_floats(rng, k);
      x[5] = 0.0f;
      std::fill(x.begin(), x.begin() + std::min<int64_t>(k, 32), 0.0f);  // an all-zero block
      x[k - 1] = 7.5f;
      std::vector<uint8_t> want(q8x32_row_bytes(k)), got(q8x32_row_bytes(k));
      quantize_row_q8x32_ref(x.data(), k, want.data());
      kt.quantize_row_q8x32(x.data(), k, got.data());
      EXPECT_EQ(want, got) << isa_name(level) << " k=" << k;
      if (k % kQkK == 0) {
        std::vector<BlockQ8K> want_k(static_cast<size_t>(k / kQkK)), got_k(want_k.size());
        quantize_row_q8k_ref(x.data(), k, want_k.data());
        kt.quantize_row_q8k(x.data(), k, got_k.data());
        EXPECT_EQ(0, std::memcmp(want_k.data(), got_k.data(), want_k.size() * sizeof(BlockQ8K)))
            << isa_name(level) << " q8k k=" << k;
      }
    }
  }
}

}  // namespace
}  // namespace asc::cpu
