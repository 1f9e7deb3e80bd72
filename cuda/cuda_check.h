// Error checking for the CUDA backend (STYLE.md rule 3).
//
// Every runtime and cuBLASLt call goes through ASC_CUDA_TRY / ASC_CUBLAS_TRY, which turn a failure
// into a Status naming the expression, the error's name and text, and file:line; nothing is
// silently ignored. Every kernel launch is followed by check_launch(), which reads the launch error
// and, when the LaunchContext asks for it (env ASCENDRA_CUDA_SYNC=1), synchronises the stream so an
// asynchronous fault is reported at the kernel that caused it.
#pragma once

#include <cublasLt.h>
#include <cuda_runtime.h>

#include <string>

#include "engine/core/status.h"

namespace asc::cuda {

/// Where and how kernels of one backend instance are launched.
struct LaunchContext {
  cudaStream_t stream = nullptr;  // explicit stream of the instance (never the legacy default)
  bool sync_each_launch = false;  // ASCENDRA_CUDA_SYNC=1: synchronise after every launch
};

/// True when the environment asks for a synchronisation after every launch (read once by callers
/// when they build their LaunchContext).
bool sync_requested_by_env();

/// INTERNAL status "<expr> failed: <cudaErrorName> (<text>) at file:line"; ok for cudaSuccess.
Status cuda_status(cudaError_t err, const char* expr, const char* file, int line);
/// The same for cuBLAS / cuBLASLt status codes.
Status cublas_status(cublasStatus_t err, const char* expr, const char* file, int line);

/// After a launch: the launch error, then (when ctx asks) the stream's completion status.
Status check_launch(const char* kernel, const LaunchContext& ctx, const char* file, int line);

}  // namespace asc::cuda

/// Evaluates a CUDA runtime call; returns its Status from the enclosing function on failure.
#define ASC_CUDA_TRY(expr)                                                                   \
  do {                                                                                       \
    const cudaError_t asc_cuda_err_ = (expr);                                                \
    if (asc_cuda_err_ != cudaSuccess)                                                        \
      return ::asc::cuda::cuda_status(asc_cuda_err_, #expr, __FILE__, __LINE__);             \
  } while (0)

/// Evaluates a cuBLAS/cuBLASLt call; returns its Status from the enclosing function on failure.
#define ASC_CUBLAS_TRY(expr)                                                                 \
  do {                                                                                       \
    const cublasStatus_t asc_cublas_err_ = (expr);                                           \
    if (asc_cublas_err_ != CUBLAS_STATUS_SUCCESS)                                            \
      return ::asc::cuda::cublas_status(asc_cublas_err_, #expr, __FILE__, __LINE__);         \
  } while (0)

/// Checks the kernel launched just before; returns its Status on failure.
#define ASC_CUDA_LAUNCHED(kernel, ctx) \
  ASC_RETURN_IF_ERROR(::asc::cuda::check_launch(kernel, ctx, __FILE__, __LINE__))
