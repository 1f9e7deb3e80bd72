#include "cuda/cuda_check.h"

#include <cstdlib>
#include <cstring>

namespace asc::cuda {

namespace {

std::string where(const char* file, int line) {
  const char* slash = std::strrchr(file, '/');
  return std::string(slash != nullptr ? slash + 1 : file) + ":" + std::to_string(line);
}

}  // namespace

bool sync_requested_by_env() {
  const char* v = std::getenv("ASCENDRA_CUDA_SYNC");
  return v != nullptr && v[0] != '\0' && std::strcmp(v, "0") != 0;
}

Status cuda_status(cudaError_t err, const char* expr, const char* file, int line) {
  if (err == cudaSuccess) return Status::ok();
  return internal_error(std::string(expr) + " failed: " + cudaGetErrorName(err) + " (" +
                        cudaGetErrorString(err) + ") at " + where(file, line));
}

Status cublas_status(cublasStatus_t err, const char* expr, const char* file, int line) {
  if (err == CUBLAS_STATUS_SUCCESS) return Status::ok();
  return internal_error(std::string(expr) + " failed: cuBLAS status " + std::to_string(static_cast<int>(err)) +
                        " at " + where(file, line));
}

Status check_launch(const char* kernel, const LaunchContext& ctx, const char* file, int line) {
  const cudaError_t launch = cudaGetLastError();
  if (launch != cudaSuccess) {
    return cuda_status(launch, (std::string("launch of ") + kernel).c_str(), file, line);
  }
  if (ctx.sync_each_launch) {
    const cudaError_t done = cudaStreamSynchronize(ctx.stream);
    if (done != cudaSuccess) {
      return cuda_status(done, (std::string("kernel ") + kernel + " (ASCENDRA_CUDA_SYNC)").c_str(), file, line);
    }
  }
  return Status::ok();
}

}  // namespace asc::cuda
