#include "engine/cpu/cpu_features.h"

#include <gtest/gtest.h>

#include "engine/cpu/kernel_table.h"

namespace asc::cpu {
namespace {

TEST(CpuFeatures, BestIsaIsSupportedByThisCpu) {
  const CpuFeatures f = detect_cpu_features();
  const IsaLevel best = best_isa(f, nullptr);
  EXPECT_TRUE(isa_supported(f, best));
  std::printf("cpu: %s -> %s\n", describe(f).c_str(), isa_name(best));
  if (f.avx2 && f.fma && f.f16c) EXPECT_NE(best, IsaLevel::kScalar);
  if (isa_supported(f, IsaLevel::kAvx512)) EXPECT_EQ(best, IsaLevel::kAvx512);
}

TEST(CpuFeatures, OverrideOnlyLowers) {
  CpuFeatures all;
  all.avx2 = all.fma = all.f16c = true;
  all.avx512f = all.avx512bw = all.avx512vl = all.avx512vnni = true;
  EXPECT_EQ(best_isa(all, nullptr), IsaLevel::kAvx512);
  EXPECT_EQ(best_isa(all, "avx2"), IsaLevel::kAvx2);
  EXPECT_EQ(best_isa(all, "scalar"), IsaLevel::kScalar);
  EXPECT_EQ(best_isa(all, "bogus"), IsaLevel::kAvx512);
  CpuFeatures avx2_only;
  avx2_only.avx2 = avx2_only.fma = avx2_only.f16c = true;
  EXPECT_EQ(best_isa(avx2_only, nullptr), IsaLevel::kAvx2);
  EXPECT_EQ(best_isa(avx2_only, "avx512"), IsaLevel::kAvx2);  // never raised past the CPU
  EXPECT_EQ(best_isa(CpuFeatures{}, "avx512"), IsaLevel::kScalar);
  avx2_only.avx512f = true;  // AVX-512 F without VNNI is not enough
  EXPECT_FALSE(isa_supported(avx2_only, IsaLevel::kAvx512));
}

TEST(CpuFeatures, NamesRoundTrip) {
  for (IsaLevel level : {IsaLevel::kScalar, IsaLevel::kAvx2, IsaLevel::kAvx512}) {
    EXPECT_EQ(parse_isa(isa_name(level)), level);
  }
  EXPECT_FALSE(parse_isa("avx1024").has_value());
}

TEST(KernelTable, EveryEntryFilledForEverySupportedLevel) {
  const CpuFeatures f = detect_cpu_features();
  for (IsaLevel level : {IsaLevel::kScalar, IsaLevel::kAvx2, IsaLevel::kAvx512}) {
    if (!isa_supported(f, level)) continue;
    const KernelTable& t = kernel_table(level);
    EXPECT_EQ(t.isa, level);
    for (DType type : {DType::kF32, DType::kF16, DType::kBF16, DType::kQ4_0, DType::kQ4_1,
                       DType::kQ8_0, DType::kQ4_K, DType::kQ5_K, DType::kQ6_K}) {
      const WeightKernel* k = weight_kernel(t, type);
      ASSERT_NE(k, nullptr);
      EXPECT_NE(k->gemm, nullptr) << dtype_name(type);
    }
    EXPECT_NE(t.quantize_row_q8x32, nullptr);
    EXPECT_NE(t.quantize_row_q8k, nullptr);
    EXPECT_NE(t.fp16_to_fp32_row, nullptr);
    EXPECT_NE(t.fp32_to_fp16_row, nullptr);
    EXPECT_NE(t.bf16_to_fp32_row, nullptr);
    EXPECT_NE(t.dot_f32, nullptr);
    EXPECT_NE(t.dot_f16_f32, nullptr);
    EXPECT_NE(t.axpy_f32, nullptr);
    EXPECT_NE(t.axpy_f16, nullptr);
    EXPECT_NE(t.scale_f32, nullptr);
    EXPECT_NE(t.rmsnorm, nullptr);
    EXPECT_NE(t.silu_mul, nullptr);
    EXPECT_NE(t.softmax, nullptr);
    EXPECT_NE(t.add, nullptr);
  }
}

}  // namespace
}  // namespace asc::cpu
