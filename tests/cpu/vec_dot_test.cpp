// Every SIMD gemm kernel against the scalar reference kernel on the same random weights and the
// same quantized activations, for every weight type, odd tile sizes and odd block counts.
#include "engine/cpu/vec_dot.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "engine/cpu/kernel_table.h"
#include "tests/cpu/vec_dot_test_util.h"

namespace asc::cpu {
namespace {

struct PreparedActs {
  std::vector<uint8_t> data;  // [num_x, row_bytes]
  size_t row_bytes = 0;
};

PreparedActs prepare(ActFormat format, const std::vector<float>& x, int num_x, int64_t k) {
  PreparedActs p;
  switch (format) {
    case ActFormat::kF32: p.row_bytes = static_cast<size_t>(k) * 4; break;
    case ActFormat::kQ8x32: p.row_bytes = q8x32_row_bytes(k); break;
    case ActFormat::kQ8K: p.row_bytes = static_cast<size_t>(k / kQkK) * sizeof(BlockQ8K); break;
  }
  p.data.resize(p.row_bytes * static_cast<size_t>(num_x) + 64);
  for (int r = 0; r < num_x; ++r) {
    const float* xr = x.data() + r * k;
    uint8_t* out = p.data.data() + r * p.row_bytes;
    if (format == ActFormat::kF32) std::memcpy(out, xr, p.row_bytes);
    if (format == ActFormat::kQ8x32) quantize_row_q8x32_ref(xr, k, out);
    if (format == ActFormat::kQ8K) quantize_row_q8k_ref(xr, k, reinterpret_cast<BlockQ8K*>(out));
  }
  return p;
}

void compare_kernels(IsaLevel level, DType type, int64_t k, int num_w, int num_x, std::mt19937& rng) {
  const KernelTable& ref = kernel_table(IsaLevel::kScalar);
  const KernelTable& simd = kernel_table(level);
  const WeightKernel* rk = weight_kernel(ref, type);
  const WeightKernel* sk = weight_kernel(simd, type);
  ASSERT_EQ(rk->act, sk->act);
  const std::vector<uint8_t> w = testing::random_weights(rng, type, num_w, k);
  const size_t w_row_bytes = dtype_row_bytes(type, k);
  const std::vector<float> x = testing::random_floats(rng, k * num_x);
  const PreparedActs acts = prepare(rk->act, x, num_x, k);
  const int64_t ldy = num_w + 3;  // a stride wider than the tile
  std::vector<float> want(static_cast<size_t>(num_x * ldy), -1.0f), got(want);
  rk->gemm(k, w.data(), w_row_bytes, num_w, acts.data.data(), acts.row_bytes, num_x, want.data(), ldy);
  sk->gemm(k, w.data(), w_row_bytes, num_w, acts.data.data(), acts.row_bytes, num_x, got.data(), ldy);
  std::vector<float> wf(static_cast<size_t>(k));
  for (int c = 0; c < num_w; ++c) {
    dequantize_row(type, w.data() + c * w_row_bytes, wf.data(), k);
    for (int r = 0; r < num_x; ++r) {
      double abs_sum = 0.0;  // scale of the rounding error of a k-term sum
      for (int64_t i = 0; i < k; ++i) abs_sum += std::fabs(wf[i] * x[r * k + i]);
      const float a = want[r * ldy + c], b = got[r * ldy + c];
      ASSERT_NEAR(a, b, 2e-5 * abs_sum + 1e-6)
          << isa_name(level) << " " << dtype_name(type) << " k=" << k << " row " << c << " x " << r;
    }
  }
  for (int r = 0; r < num_x; ++r) {  // columns past the tile are untouched
    for (int64_t c = num_w; c < ldy; ++c) ASSERT_EQ(got[r * ldy + c], -1.0f);
  }
}

TEST(VecDot, SimdMatchesScalarForEveryType) {
  std::mt19937 rng(42);
  for (IsaLevel level : testing::simd_levels()) {
    for (DType type : testing::all_weight_types()) {
      const bool k_quant = dtype_traits(static_cast<uint32_t>(type))->block_elems == kQkK;
      const std::vector<int64_t> ks = k_quant ? std::vector<int64_t>{256, 768}
                                              : std::vector<int64_t>{32, 96, 576, 1536};
      for (int64_t k : ks) {
        for (auto [num_w, num_x] : {std::pair{1, 1}, {2, 4}, {5, 3}, {3, 7}, {4, 1}}) {
          compare_kernels(level, type, k, num_w, num_x, rng);
        }
      }
    }
  }
}

TEST(VecDot, FloatKernelsHandleOddLengths) {
  std::mt19937 rng(43);
  for (IsaLevel level : testing::simd_levels()) {
    for (DType type : {DType::kF32, DType::kF16, DType::kBF16}) {
      for (int64_t k : {1, 7, 17, 33, 100}) compare_kernels(level, type, k, 3, 5, rng);
    }
  }
}

TEST(VecDot, ScalarKernelsCloseToDequantizedDot) {
  // The integer kernels quantize activations to 8 bits: the result is within ~1% of the sum of
  // |w x| of the exact dot product of the dequantized weights with the float activations.
  std::mt19937 rng(44);
  const KernelTable& ref = kernel_table(IsaLevel::kScalar);
  for (DType type : testing::all_weight_types()) {
    const int64_t k = 512;
    const WeightKernel* kern = weight_kernel(ref, type);
    const std::vector<uint8_t> w = testing::random_weights(rng, type, 1, k);
    const std::vector<float> x = testing::random_floats(rng, k);
    const PreparedActs acts = prepare(kern->act, x, 1, k);
    float y = 0.0f;
    kern->gemm(k, w.data(), w.size(), 1, acts.data.data(), acts.row_bytes, 1, &y, 1);
    std::vector<float> wf(static_cast<size_t>(k));
    dequantize_row(type, w.data(), wf.data(), k);
    double exact = 0.0, abs_sum = 0.0;
    for (int64_t i = 0; i < k; ++i) {
      exact += static_cast<double>(wf[i]) * x[i];
      abs_sum += std::fabs(static_cast<double>(wf[i]) * x[i]);
    }
    const double tol = kern->act == ActFormat::kF32 ? 1e-5 * abs_sum : 1e-2 * abs_sum;
    EXPECT_NEAR(y, exact, tol) << dtype_name(type);
  }
}

TEST(VecDot, PrimitivesMatchScalar) {
  std::mt19937 rng(45);
  const KernelTable& ref = kernel_table(IsaLevel::kScalar);
  for (IsaLevel level : testing::simd_levels()) {
    const KernelTable& kt = kernel_table(level);
    for (int64_t n : {1, 15, 16, 64, 67, 200}) {
      const std::vector<float> a = testing::random_floats(rng, n), b = testing::random_floats(rng, n);
      std::vector<uint16_t> h(static_cast<size_t>(n)), h_ref(h);
      ref.fp32_to_fp16_row(a.data(), h_ref.data(), n);
      kt.fp32_to_fp16_row(a.data(), h.data(), n);
      EXPECT_EQ(h, h_ref) << isa_name(level);
      std::vector<float> f(static_cast<size_t>(n)), f_ref(f);
      ref.fp16_to_fp32_row(h.data(), f_ref.data(), n);
      kt.fp16_to_fp32_row(h.data(), f.data(), n);
      EXPECT_EQ(f, f_ref);
      ref.bf16_to_fp32_row(h.data(), f_ref.data(), n);
      kt.bf16_to_fp32_row(h.data(), f.data(), n);
      EXPECT_EQ(f, f_ref);
      double abs_sum = 0.0;
      for (int64_t i = 0; i < n; ++i) abs_sum += std::fabs(a[i] * b[i]);
      EXPECT_NEAR(kt.dot_f32(a.data(), b.data(), n), ref.dot_f32(a.data(), b.data(), n), 1e-5 * abs_sum + 1e-6);
      EXPECT_NEAR(kt.dot_f16_f32(h.data(), b.data(), n), ref.dot_f16_f32(h.data(), b.data(), n),
                  1e-5 * abs_sum + 1e-6);
      std::vector<float> y = b, y_ref = b;
      kt.axpy_f32(0.75f, a.data(), y.data(), n);
      ref.axpy_f32(0.75f, a.data(), y_ref.data(), n);
      for (int64_t i = 0; i < n; ++i) EXPECT_NEAR(y[i], y_ref[i], 1e-6f * (1 + std::fabs(y_ref[i])));
      kt.axpy_f16(-1.5f, h.data(), y.data(), n);
      ref.axpy_f16(-1.5f, h.data(), y_ref.data(), n);
      kt.scale_f32(0.3f, y.data(), n);
      ref.scale_f32(0.3f, y_ref.data(), n);
      for (int64_t i = 0; i < n; ++i) EXPECT_NEAR(y[i], y_ref[i], 1e-5f * (1 + std::fabs(y_ref[i])));
    }
  }
}

}  // namespace
}  // namespace asc::cpu
