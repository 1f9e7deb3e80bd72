#include "cuda/gemm_lt.h"

#include <string>

#include "cuda/cuda_check.h"

namespace asc::cuda {

StatusOr<std::unique_ptr<LtGemm>> LtGemm::create(size_t workspace_bytes) {
  std::unique_ptr<LtGemm> g(new LtGemm());  // private constructor: make_unique cannot reach it
  ASC_CUBLAS_TRY(cublasLtCreate(&g->handle_));
  StatusOr<DeviceBuffer> ws = DeviceBuffer::allocate(workspace_bytes);
  if (!ws.is_ok()) return ws.status();
  g->workspace_ = std::move(*ws);
  return g;
}

LtGemm::~LtGemm() {
  for (auto& [key, p] : plans_) destroy(p);
  if (handle_ != nullptr) (void)cublasLtDestroy(handle_);
}

void LtGemm::destroy(Plan& p) {
  if (p.a != nullptr) (void)cublasLtMatrixLayoutDestroy(p.a);
  if (p.b != nullptr) (void)cublasLtMatrixLayoutDestroy(p.b);
  if (p.c != nullptr) (void)cublasLtMatrixLayoutDestroy(p.c);
  if (p.desc != nullptr) (void)cublasLtMatmulDescDestroy(p.desc);
  p = Plan();
}

StatusOr<const LtGemm::Plan*> LtGemm::plan(int64_t m, int64_t n, int64_t k) {
  const auto key = std::make_tuple(m, n, k);
  if (auto it = plans_.find(key); it != plans_.end()) return &it->second;
  if (plans_.size() >= kMaxPlans) {
    for (auto& [unused, p] : plans_) destroy(p);
    plans_.clear();
  }
  Plan p;
  // Destroys the partly built plan on any early return below.
  struct Cleanup {
    Plan* p;
    ~Cleanup() { if (p != nullptr) destroy(*p); }
  } cleanup{&p};
  ASC_CUBLAS_TRY(cublasLtMatmulDescCreate(&p.desc, CUBLAS_COMPUTE_32F, CUDA_R_32F));
  const cublasOperation_t trans_a = CUBLAS_OP_T;
  ASC_CUBLAS_TRY(cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_TRANSA, &trans_a, sizeof(trans_a)));
  ASC_CUBLAS_TRY(cublasLtMatrixLayoutCreate(&p.a, CUDA_R_16F, static_cast<uint64_t>(k), static_cast<uint64_t>(n), k));
  ASC_CUBLAS_TRY(cublasLtMatrixLayoutCreate(&p.b, CUDA_R_16F, static_cast<uint64_t>(k), static_cast<uint64_t>(m), k));
  ASC_CUBLAS_TRY(cublasLtMatrixLayoutCreate(&p.c, CUDA_R_32F, static_cast<uint64_t>(n), static_cast<uint64_t>(m), n));
  cublasLtMatmulPreference_t pref = nullptr;
  ASC_CUBLAS_TRY(cublasLtMatmulPreferenceCreate(&pref));
  const uint64_t ws = workspace_.size();
  cublasLtMatmulHeuristicResult_t result{};
  int returned = 0;
  cublasStatus_t st = cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof(ws));
  if (st == CUBLAS_STATUS_SUCCESS) {
    st = cublasLtMatmulAlgoGetHeuristic(handle_, p.desc, p.a, p.b, p.c, p.c, pref, 1, &result, &returned);
  }
  (void)cublasLtMatmulPreferenceDestroy(pref);
  ASC_CUBLAS_TRY(st);
  if (returned == 0) {
    return unimplemented("cuBLASLt has no algorithm for an f16 GEMM of m " + std::to_string(m) + ", n " +
                         std::to_string(n) + ", k " + std::to_string(k));
  }
  p.algo = result.algo;
  cleanup.p = nullptr;
  auto [it, inserted] = plans_.emplace(key, p);
  return &it->second;
}

Status LtGemm::run(cudaStream_t stream, const __half* w, const __half* x, int64_t m, int64_t n, int64_t k,
                   float* y) {
  if (m <= 0) return Status::ok();
  StatusOr<const Plan*> p = plan(m, n, k);
  if (!p.is_ok()) return p.status();
  const float alpha = 1.0f;
  const float beta = 0.0f;
  ASC_CUBLAS_TRY(cublasLtMatmul(handle_, (*p)->desc, &alpha, w, (*p)->a, x, (*p)->b, &beta, y, (*p)->c, y,
                                (*p)->c, &(*p)->algo, workspace_.data(), workspace_.size(), stream));
  return Status::ok();
}

}  // namespace asc::cuda
