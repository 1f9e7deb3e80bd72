// matmul against a naive dequantize-then-dot reference for every weight type, ISA level, batch
// sizes m in {1, 3, 17} and odd output counts, with 1 and 3 threads.
#include "engine/cpu/matmul.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "tests/cpu/vec_dot_test_util.h"

namespace asc::cpu {
namespace {

TensorView make_view(DType type, int64_t k, int64_t n, const std::vector<uint8_t>& data) {
  TensorView w;
  w.name = "w";
  w.type = type;
  w.num_dims = 2;
  w.shape = {k, n, 1, 1};
  w.data = data.data();
  w.size_bytes = data.size();
  return w;
}

void check_matmul(ThreadPool& pool, const KernelTable& kt, DType type, int64_t k, int64_t n, int64_t m,
                  std::mt19937& rng, MatmulScratch& scratch) {
  const std::vector<uint8_t> wdata = testing::random_weights(rng, type, n, k);
  const TensorView w = make_view(type, k, n, wdata);
  const std::vector<float> x = testing::random_floats(rng, m * k);
  std::vector<float> y(static_cast<size_t>(m * n), std::nanf(""));
  matmul(pool, kt, w, x.data(), m, y.data(), scratch);
  std::vector<float> wf(static_cast<size_t>(k));
  const bool quantized_acts = weight_kernel(kt, type)->act != ActFormat::kF32;
  for (int64_t c = 0; c < n; ++c) {
    dequantize_row(type, w.row(c), wf.data(), k);
    for (int64_t r = 0; r < m; ++r) {
      double exact = 0.0, abs_sum = 0.0;
      for (int64_t i = 0; i < k; ++i) {
        exact += static_cast<double>(wf[i]) * x[r * k + i];
        abs_sum += std::fabs(static_cast<double>(wf[i]) * x[r * k + i]);
      }
      const double tol = (quantized_acts ? 1e-2 : 1e-5) * abs_sum + 1e-6;
      ASSERT_NEAR(y[r * n + c], exact, tol) << isa_name(kt.isa) << " " << dtype_name(type) << " k=" << k
                                            << " n=" << n << " m=" << m << " at (" << r << "," << c << ")";
    }
  }
}

TEST(Matmul, MatchesDequantizedReference) {
  std::mt19937 rng(77);
  std::vector<IsaLevel> levels = {IsaLevel::kScalar};
  for (IsaLevel l : testing::simd_levels()) levels.push_back(l);
  MatmulScratch scratch;  // reused across calls of different shapes and formats
  for (int threads : {1, 3}) {
    ThreadPool pool(threads);
    for (IsaLevel level : levels) {
      const KernelTable& kt = kernel_table(level);
      for (DType type : testing::all_weight_types()) {
        const int64_t k = dtype_traits(static_cast<uint32_t>(type))->block_elems == kQkK ? 512 : 96;
        for (int64_t m : {1, 3, 17}) check_matmul(pool, kt, type, k, 37, m, rng, scratch);
      }
    }
  }
}

TEST(Matmul, ModelShapesAgreeAcrossIsas) {
  // The model's shapes (hidden 576, FFN 1536) with Q4_1 and Q8_0: every ISA gives the scalar
  // result to rounding, through one prepare_activations shared by two weights (like Q and K).
  std::mt19937 rng(78);
  ThreadPool pool(2);
  for (DType type : {DType::kQ4_1, DType::kQ8_0}) {
    const int64_t k = 576, n = 1536, m = 5;
    const std::vector<uint8_t> wdata = testing::random_weights(rng, type, n, k);
    const TensorView w = make_view(type, k, n, wdata);
    const std::vector<float> x = testing::random_floats(rng, m * k);
    std::vector<float> want(static_cast<size_t>(m * n));
    MatmulScratch scratch;
    matmul(pool, kernel_table(IsaLevel::kScalar), w, x.data(), m, want.data(), scratch);
    for (IsaLevel level : testing::simd_levels()) {
      const KernelTable& kt = kernel_table(level);
      prepare_activations(pool, kt, type, x.data(), m, k, scratch);
      std::vector<float> y1(static_cast<size_t>(m * (n + 8))), y2(static_cast<size_t>(m * n));
      matmul_prepared(pool, kt, w, scratch, y1.data(), n + 8);  // strided output
      matmul_prepared(pool, kt, w, scratch, y2.data(), n);
      for (int64_t r = 0; r < m; ++r) {
        for (int64_t c = 0; c < n; ++c) {
          ASSERT_NEAR(y1[r * (n + 8) + c], want[r * n + c], 1e-3 * (1 + std::fabs(want[r * n + c])));
          ASSERT_EQ(y1[r * (n + 8) + c], y2[r * n + c]);
        }
      }
    }
  }
}

TEST(Matmul, ScratchDoesNotGrowInSteadyState) {
  std::mt19937 rng(79);
  ThreadPool pool(2);
  const KernelTable& kt = kernel_table(best_isa(detect_cpu_features()));
  const std::vector<uint8_t> wdata = testing::random_weights(rng, DType::kQ4_1, 64, 576);
  const TensorView w = make_view(DType::kQ4_1, 576, 64, wdata);
  const std::vector<float> x = testing::random_floats(rng, 8 * 576);
  std::vector<float> y(8 * 64);
  MatmulScratch scratch;
  matmul(pool, kt, w, x.data(), 8, y.data(), scratch);
  const size_t cap = scratch.capacity();
  const uint8_t* buffer = scratch.data;
  for (int i = 0; i < 5; ++i) matmul(pool, kt, w, x.data(), 8 - i, y.data(), scratch);
  EXPECT_EQ(scratch.capacity(), cap);
  EXPECT_EQ(scratch.data, buffer);
}

}  // namespace
}  // namespace asc::cpu
