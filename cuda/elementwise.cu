// Elementwise kernels of the forward pass: RMSNorm fused with the residual add, residual add,
// SwiGLU (silu(gate) * up), bias add, f32 -> f16 conversion for the cuBLASLt inputs, and a row
// gather (the last token of each sampling row). Same contracts as engine/cpu/elementwise.h.
#include "cuda/kernels.h"

namespace asc::cuda {

namespace {

constexpr int kThreads = 256;

unsigned grid_for(int64_t items) { return static_cast<unsigned>((items + kThreads - 1) / kThreads); }

/// Sum over the block (blockDim.x == kThreads); every thread gets the result.
__device__ float block_sum(float v, float* shared /* [kThreads / 32] */) {
#pragma unroll
  for (int off = 16; off > 0; off /= 2) v += __shfl_xor_sync(0xffffffffu, v, off);
  const int warp = threadIdx.x / 32;
  if (threadIdx.x % 32 == 0) shared[warp] = v;
  __syncthreads();
  float total = 0.0f;
#pragma unroll
  for (int w = 0; w < kThreads / 32; ++w) total += shared[w];
  __syncthreads();
  return total;
}

/// One block per row: x += delta; out = x * rsqrt(mean(x^2) + eps) * weight.
__global__ void __launch_bounds__(kThreads)
add_rmsnorm_kernel(float* x, const float* delta, const float* weight, int32_t n, float eps, float* out) {
  __shared__ float partial[kThreads / 32];
  float* xr = x + static_cast<int64_t>(blockIdx.x) * n;
  const float* dr = delta != nullptr ? delta + static_cast<int64_t>(blockIdx.x) * n : nullptr;
  float* orow = out + static_cast<int64_t>(blockIdx.x) * n;
  float ss = 0.0f;
  for (int i = threadIdx.x; i < n; i += kThreads) {
    float v = xr[i];
    if (dr != nullptr) {
      v += dr[i];
      xr[i] = v;
    }
    ss += v * v;
  }
  const float total = block_sum(ss, partial);
  const float scale = 1.0f / sqrtf(total / static_cast<float>(n) + eps);
  for (int i = threadIdx.x; i < n; i += kThreads) orow[i] = xr[i] * scale * weight[i];
}

__global__ void add_kernel(float* x, const float* delta, int64_t count) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  if (i < count) x[i] += delta[i];
}

__global__ void silu_mul_kernel(const float* gate, const float* up, int64_t count, float* out) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  if (i >= count) return;
  const float g = gate[i];
  out[i] = g / (1.0f + expf(-g)) * up[i];
}

__global__ void add_bias_kernel(float* x, const float* bias, int64_t count, int32_t n) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  if (i < count) x[i] += bias[i % n];
}

__global__ void f32_to_f16_kernel(const float* x, int64_t count, __half* out) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  if (i < count) out[i] = __float2half_rn(x[i]);
}

__global__ void gather_rows_kernel(const float* x, const int32_t* rows, int32_t n, float* out) {
  const float* src = x + static_cast<int64_t>(rows[blockIdx.x]) * n;
  float* dst = out + static_cast<int64_t>(blockIdx.x) * n;
  for (int i = threadIdx.x; i < n; i += kThreads) dst[i] = src[i];
}

}  // namespace

Status launch_add_rmsnorm(const LaunchContext& ctx, float* x, const float* delta, const float* weight,
                          int64_t m, int32_t n, float eps, float* out) {
  if (m <= 0) return Status::ok();
  add_rmsnorm_kernel<<<static_cast<unsigned>(m), kThreads, 0, ctx.stream>>>(x, delta, weight, n, eps, out);
  ASC_CUDA_LAUNCHED("add_rmsnorm_kernel", ctx);
  return Status::ok();
}

Status launch_add(const LaunchContext& ctx, float* x, const float* delta, int64_t count) {
  if (count <= 0) return Status::ok();
  add_kernel<<<grid_for(count), kThreads, 0, ctx.stream>>>(x, delta, count);
  ASC_CUDA_LAUNCHED("add_kernel", ctx);
  return Status::ok();
}

Status launch_silu_mul(const LaunchContext& ctx, const float* gate, const float* up, int64_t count,
                       float* out) {
  if (count <= 0) return Status::ok();
  silu_mul_kernel<<<grid_for(count), kThreads, 0, ctx.stream>>>(gate, up, count, out);
  ASC_CUDA_LAUNCHED("silu_mul_kernel", ctx);
  return Status::ok();
}

Status launch_add_bias(const LaunchContext& ctx, float* x, const float* bias, int64_t m, int32_t n) {
  if (m * n <= 0) return Status::ok();
  add_bias_kernel<<<grid_for(m * n), kThreads, 0, ctx.stream>>>(x, bias, m * n, n);
  ASC_CUDA_LAUNCHED("add_bias_kernel", ctx);
  return Status::ok();
}

Status launch_f32_to_f16(const LaunchContext& ctx, const float* x, int64_t count, __half* out) {
  if (count <= 0) return Status::ok();
  f32_to_f16_kernel<<<grid_for(count), kThreads, 0, ctx.stream>>>(x, count, out);
  ASC_CUDA_LAUNCHED("f32_to_f16_kernel", ctx);
  return Status::ok();
}

Status launch_gather_rows(const LaunchContext& ctx, const float* x, const int32_t* rows,
                          int32_t num_rows, int32_t n, float* out) {
  if (num_rows <= 0) return Status::ok();
  gather_rows_kernel<<<static_cast<unsigned>(num_rows), kThreads, 0, ctx.stream>>>(x, rows, n, out);
  ASC_CUDA_LAUNCHED("gather_rows_kernel", ctx);
  return Status::ok();
}

}  // namespace asc::cuda
