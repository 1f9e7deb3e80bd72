// Elementwise kernels: the references against textbook formulas in double precision, and every
// SIMD table version against the references.
#include "engine/cpu/elementwise.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "engine/cpu/kernel_table.h"
#include "tests/cpu/vec_dot_test_util.h"

namespace asc::cpu {
namespace {

TEST(Elementwise, RmsnormMatchesFormula) {
  std::mt19937 rng(1);
  const int64_t n = 576;
  const std::vector<float> x = testing::random_floats(rng, n, 3.0f), w = testing::random_floats(rng, n);
  std::vector<float> out(static_cast<size_t>(n));
  rmsnorm(x.data(), w.data(), n, 1e-5f, out.data());
  double ss = 0.0;
  for (float v : x) ss += static_cast<double>(v) * v;
  const double scale = 1.0 / std::sqrt(ss / n + 1e-5);
  for (int64_t i = 0; i < n; ++i) EXPECT_NEAR(out[i], x[i] * scale * w[i], 1e-5 * (1 + std::fabs(out[i])));
}

TEST(Elementwise, RopeNormalAndNeoxRotatePairs) {
  std::mt19937 rng(2);
  const int heads = 3, dim = 64;
  const int64_t pos = 37;
  const float base = 10000.0f;
  const std::vector<float> x = testing::random_floats(rng, heads * dim);
  for (RopeLayout layout : {RopeLayout::kNormal, RopeLayout::kNeox}) {
    std::vector<float> y = x;
    rope(y.data(), heads, dim, pos, base, 1.0f, layout);
    for (int h = 0; h < heads; ++h) {
      for (int i = 0; i < dim / 2; ++i) {
        const int a = layout == RopeLayout::kNormal ? 2 * i : i;
        const int b = layout == RopeLayout::kNormal ? 2 * i + 1 : i + dim / 2;
        const double theta = pos * std::pow(static_cast<double>(base), -2.0 * i / dim);
        const double x0 = x[h * dim + a], x1 = x[h * dim + b];
        EXPECT_NEAR(y[h * dim + a], x0 * std::cos(theta) - x1 * std::sin(theta), 1e-5);
        EXPECT_NEAR(y[h * dim + b], x0 * std::sin(theta) + x1 * std::cos(theta), 1e-5);
      }
    }
  }
  std::vector<float> y = x;  // position 0 is the identity
  rope(y.data(), heads, dim, 0, base, 1.0f, RopeLayout::kNormal);
  EXPECT_EQ(y, x);
}

TEST(Elementwise, SoftmaxSumsToOneAndMasks) {
  std::vector<float> x = {1.0f, 2.0f, -std::numeric_limits<float>::infinity(), 3.0f, 0.5f};
  softmax(x.data(), static_cast<int64_t>(x.size()));
  const double z = std::exp(1.0 - 3) + std::exp(2.0 - 3) + 1 + std::exp(0.5 - 3);
  EXPECT_NEAR(x[0], std::exp(1.0 - 3) / z, 1e-6);
  EXPECT_EQ(x[2], 0.0f);
  EXPECT_NEAR(x[3], 1 / z, 1e-6);
}

TEST(Elementwise, SiluMulAndAddMatchFormula) {
  std::mt19937 rng(3);
  const int64_t n = 100;
  const std::vector<float> g = testing::random_floats(rng, n, 4.0f), u = testing::random_floats(rng, n);
  std::vector<float> out(static_cast<size_t>(n));
  silu_mul(g.data(), u.data(), n, out.data());
  for (int64_t i = 0; i < n; ++i) {
    EXPECT_NEAR(out[i], g[i] / (1 + std::exp(-static_cast<double>(g[i]))) * u[i], 1e-5);
  }
  add(g.data(), u.data(), n, out.data());
  for (int64_t i = 0; i < n; ++i) EXPECT_EQ(out[i], g[i] + u[i]);
}

TEST(Elementwise, SimdMatchesReference) {
  std::mt19937 rng(4);
  for (IsaLevel level : testing::simd_levels()) {
    const KernelTable& kt = kernel_table(level);
    for (int64_t n : {1, 7, 16, 33, 576, 1536}) {
      std::vector<float> a = testing::random_floats(rng, n, 5.0f), b = testing::random_floats(rng, n);
      if (n > 10) {
        a[3] = -120.0f;  // deep underflow of exp
        a[4] = 95.0f;    // silu of a large value
      }
      std::vector<float> want(static_cast<size_t>(n)), got(want);
      rmsnorm(a.data(), b.data(), n, 1e-6f, want.data());
      kt.rmsnorm(a.data(), b.data(), n, 1e-6f, got.data());
      for (int64_t i = 0; i < n; ++i) ASSERT_NEAR(got[i], want[i], 2e-6 * (1 + std::fabs(want[i])));
      silu_mul(a.data(), b.data(), n, want.data());
      kt.silu_mul(a.data(), b.data(), n, got.data());
      for (int64_t i = 0; i < n; ++i) ASSERT_NEAR(got[i], want[i], 2e-6 * (1 + std::fabs(want[i])));
      add(a.data(), b.data(), n, want.data());
      kt.add(a.data(), b.data(), n, got.data());
      EXPECT_EQ(got, want);
      std::vector<float> s_want = a, s_got = a;
      if (n > 2) s_want[1] = s_got[1] = -std::numeric_limits<float>::infinity();
      softmax(s_want.data(), n);
      kt.softmax(s_got.data(), n);
      for (int64_t i = 0; i < n; ++i) ASSERT_NEAR(s_got[i], s_want[i], 2e-6 * (1e-3 + s_want[i]));
      if (n > 2) EXPECT_EQ(s_got[1], 0.0f) << isa_name(level);
    }
  }
}

TEST(Elementwise, HalfRowConversionsRoundTrip) {
  std::mt19937 rng(5);
  const std::vector<float> x = testing::random_floats(rng, 50);
  std::vector<uint16_t> h(50);
  std::vector<float> back(50);
  fp32_to_fp16_row(x.data(), h.data(), 50);
  fp16_to_fp32_row(h.data(), back.data(), 50);
  for (int i = 0; i < 50; ++i) EXPECT_NEAR(back[i], x[i], std::fabs(x[i]) * 0x1p-11f);
  fp32_to_bf16_row(x.data(), h.data(), 50);
  bf16_to_fp32_row(h.data(), back.data(), 50);
  for (int i = 0; i < 50; ++i) EXPECT_NEAR(back[i], x[i], std::fabs(x[i]) * 0x1p-8f);
}

}  // namespace
}  // namespace asc::cpu
