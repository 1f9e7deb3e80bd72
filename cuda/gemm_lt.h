// LtGemm: the cuBLASLt matmul of the prefill path, y = x W^T in f16 with f32 accumulation and an
// f32 result. Descriptors, layouts and the heuristic's algorithm are built once per (m, n, k) and
// cached (STYLE.md rule 3); the cache is bounded so that arbitrary prefill lengths cannot grow it
// without limit.
#pragma once

#include <cublasLt.h>
#include <cuda_fp16.h>

#include <cstdint>
#include <map>
#include <memory>
#include <tuple>

#include "cuda/device_memory.h"
#include "engine/core/status.h"

namespace asc::cuda {

class LtGemm {
 public:
  /// A handle and a workspace on the current device.
  static StatusOr<std::unique_ptr<LtGemm>> create(size_t workspace_bytes = 32u << 20);
  ~LtGemm();
  LtGemm(const LtGemm&) = delete;
  LtGemm& operator=(const LtGemm&) = delete;

  /// y [m, n] f32 = x [m, k] f16 times w [n, k] f16 transposed, on stream.
  Status run(cudaStream_t stream, const __half* w, const __half* x, int64_t m, int64_t n, int64_t k, float* y);

  size_t num_cached_plans() const { return plans_.size(); }

 private:
  struct Plan {
    cublasLtMatmulDesc_t desc = nullptr;
    cublasLtMatrixLayout_t a = nullptr;  // W: k x n column-major (row-major [n, k]), used transposed
    cublasLtMatrixLayout_t b = nullptr;  // x: k x m column-major (row-major [m, k])
    cublasLtMatrixLayout_t c = nullptr;  // y: n x m column-major (row-major [m, n]), f32
    cublasLtMatmulAlgo_t algo{};
  };
  static constexpr size_t kMaxPlans = 256;

  LtGemm() = default;
  StatusOr<const Plan*> plan(int64_t m, int64_t n, int64_t k);
  static void destroy(Plan& p);

  cublasLtHandle_t handle_ = nullptr;
  DeviceBuffer workspace_;
  std::map<std::tuple<int64_t, int64_t, int64_t>, Plan> plans_;
};

}  // namespace asc::cuda
