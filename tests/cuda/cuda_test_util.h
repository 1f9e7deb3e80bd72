// Helpers of the CUDA tests: the GPU skip, a stream, and host <-> device copies of vectors.
// Every test that touches a GPU starts with ASC_REQUIRE_GPU() and skips cleanly without one.
#pragma once

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "cuda/device_memory.h"
#include "cuda/kernels.h"

namespace asc::cuda::testing {

#define ASC_REQUIRE_GPU()                                                                        \
  if (::asc::cuda::visible_device_count() == 0)                                                  \
  GTEST_SKIP() << "no CUDA device visible (cudaGetDeviceCount failed or returned 0): GPU test "  \
                  "not run"

/// A device copy of a host vector (the test fails on allocation or copy errors).
template <typename T>
DeviceBuffer upload(const std::vector<T>& host) {
  StatusOr<DeviceBuffer> b = DeviceBuffer::allocate(host.size() * sizeof(T) + 16);
  EXPECT_TRUE(b.is_ok()) << b.status().to_string();
  if (!b.is_ok()) return DeviceBuffer();
  EXPECT_EQ(cudaMemcpy(b->data(), host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice), cudaSuccess);
  return std::move(*b);
}

template <typename T>
std::vector<T> download(const DeviceBuffer& b, size_t count) {
  std::vector<T> host(count);
  EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  EXPECT_EQ(cudaMemcpy(host.data(), b.data(), count * sizeof(T), cudaMemcpyDeviceToHost), cudaSuccess);
  return host;
}

inline std::vector<float> random_floats(size_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

/// Largest |a - b| relative to max |b| (0 for an all-zero b).
inline double relative_error(const std::vector<float>& a, const std::vector<float>& b) {
  double num = 0.0;
  double den = 0.0;
  for (size_t i = 0; i < b.size(); ++i) {
    num = std::max(num, static_cast<double>(std::abs(a[i] - b[i])));
    den = std::max(den, static_cast<double>(std::abs(b[i])));
  }
  return den == 0.0 ? num : num / den;
}

inline LaunchContext test_context() { return LaunchContext{nullptr, true}; }

}  // namespace asc::cuda::testing
