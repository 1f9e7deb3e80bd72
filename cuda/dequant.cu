// Dequantization kernels: the embedding lookup (rows of the token table to f32) and the one-time
// conversion of a weight matrix to f16 for the cuBLASLt prefill path. One thread per 32-element
// chunk (dequant_device.cuh); consecutive threads take consecutive chunks of a row, so a warp
// reads a contiguous run of quantized bytes.
#include "cuda/dequant_device.cuh"
#include "cuda/kernels.h"

namespace asc::cuda {

namespace {

constexpr int kThreads = 256;

__global__ void embedding_kernel(DType type, const uint8_t* table, size_t row_bytes, int64_t num_rows,
                                 int64_t chunks_per_row, const int32_t* ids, int64_t num_tokens,
                                 float* out) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= num_tokens * chunks_per_row) return;
  const int64_t t = i / chunks_per_row;
  const int64_t c = i % chunks_per_row;
  int64_t id = ids[t];
  if (id < 0 || id >= num_rows) id = 0;  // ids are validated on the host; never read out of bounds
  float v[32];
  dequant_chunk32(type, table + id * row_bytes, c, v);
  float* dst = out + t * chunks_per_row * 32 + c * 32;
#pragma unroll
  for (int j = 0; j < 32; ++j) dst[j] = v[j];
}

__global__ void dequantize_f16_kernel(DType type, const uint8_t* w, size_t row_bytes, int64_t n,
                                      int64_t chunks_per_row, __half* out) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n * chunks_per_row) return;
  const int64_t r = i / chunks_per_row;
  const int64_t c = i % chunks_per_row;
  float v[32];
  dequant_chunk32(type, w + r * row_bytes, c, v);
  __half2* dst = reinterpret_cast<__half2*>(out + r * chunks_per_row * 32 + c * 32);
#pragma unroll
  for (int j = 0; j < 16; ++j) dst[j] = __floats2half2_rn(v[2 * j], v[2 * j + 1]);
}

unsigned grid_for(int64_t items) { return static_cast<unsigned>((items + kThreads - 1) / kThreads); }

}  // namespace

bool device_supports(DType type, int64_t k) {
  switch (type) {
    case DType::kF32:
    case DType::kF16:
    case DType::kBF16:
    case DType::kQ4_0:
    case DType::kQ4_1:
    case DType::kQ8_0:
      return k % 32 == 0;
    case DType::kQ4_K:
    case DType::kQ5_K:
    case DType::kQ6_K:
      return k % 256 == 0;
  }
  return false;
}

Status launch_embedding(const LaunchContext& ctx, const DeviceMatrix& table, const int32_t* ids,
                        int64_t num_tokens, float* out) {
  if (num_tokens <= 0) return Status::ok();
  const int64_t chunks = table.k / 32;
  embedding_kernel<<<grid_for(num_tokens * chunks), kThreads, 0, ctx.stream>>>(
      table.type, table.data, table.row_bytes, table.n, chunks, ids, num_tokens, out);
  ASC_CUDA_LAUNCHED("embedding_kernel", ctx);
  return Status::ok();
}

Status launch_dequantize_f16(const LaunchContext& ctx, const DeviceMatrix& w, __half* out) {
  const int64_t chunks = w.k / 32;
  if (w.n * chunks == 0) return Status::ok();
  dequantize_f16_kernel<<<grid_for(w.n * chunks), kThreads, 0, ctx.stream>>>(
      w.type, w.data, w.row_bytes, w.n, chunks, out);
  ASC_CUDA_LAUNCHED("dequantize_f16_kernel", ctx);
  return Status::ok();
}

}  // namespace asc::cuda
