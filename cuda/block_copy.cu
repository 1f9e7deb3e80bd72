// KV block copy kernels: block-to-block inside one device cache (preemption, fork), and gather /
// scatter between scattered cache blocks and a contiguous staging buffer (export, import, and the
// device-to-device hand-off of a migrated request, whose staging buffer then moves by peer copy or
// through pinned host memory; see kv_transfer.h). One thread block per KV block, 16-byte accesses.
#include "cuda/kernels.h"

namespace asc::cuda {

namespace {

constexpr int kThreads = 256;

__device__ __forceinline__ void copy_bytes(const uint4* src, uint4* dst, size_t words) {
  for (size_t i = threadIdx.x; i < words; i += kThreads) dst[i] = src[i];
}

__global__ void copy_blocks_kernel(uint8_t* kv, size_t block_bytes, const int32_t* pairs) {
  const int32_t src = pairs[2 * blockIdx.x];
  const int32_t dst = pairs[2 * blockIdx.x + 1];
  if (src == dst) return;
  copy_bytes(reinterpret_cast<const uint4*>(kv + static_cast<size_t>(src) * block_bytes),
             reinterpret_cast<uint4*>(kv + static_cast<size_t>(dst) * block_bytes), block_bytes / 16);
}

__global__ void gather_blocks_kernel(const uint8_t* kv, size_t block_bytes, const int32_t* blocks, uint8_t* out) {
  copy_bytes(reinterpret_cast<const uint4*>(kv + static_cast<size_t>(blocks[blockIdx.x]) * block_bytes),
             reinterpret_cast<uint4*>(out + static_cast<size_t>(blockIdx.x) * block_bytes), block_bytes / 16);
}

__global__ void scatter_blocks_kernel(uint8_t* kv, size_t block_bytes, const int32_t* blocks, const uint8_t* in) {
  copy_bytes(reinterpret_cast<const uint4*>(in + static_cast<size_t>(blockIdx.x) * block_bytes),
             reinterpret_cast<uint4*>(kv + static_cast<size_t>(blocks[blockIdx.x]) * block_bytes), block_bytes / 16);
}

Status check_block_bytes(size_t block_bytes) {
  if (block_bytes == 0 || block_bytes % 16 != 0) {
    return invalid_argument("block copy: block of " + std::to_string(block_bytes) +
                            " bytes is not a positive multiple of 16");
  }
  return Status::ok();
}

}  // namespace

Status launch_copy_blocks(const LaunchContext& ctx, uint8_t* kv, size_t block_bytes, const int32_t* pairs,
                          int32_t n) {
  ASC_RETURN_IF_ERROR(check_block_bytes(block_bytes));
  if (n <= 0) return Status::ok();
  copy_blocks_kernel<<<static_cast<unsigned>(n), kThreads, 0, ctx.stream>>>(kv, block_bytes, pairs);
  ASC_CUDA_LAUNCHED("copy_blocks_kernel", ctx);
  return Status::ok();
}

Status launch_gather_blocks(const LaunchContext& ctx, const uint8_t* kv, size_t block_bytes,
                            const int32_t* blocks, int32_t n, uint8_t* out) {
  ASC_RETURN_IF_ERROR(check_block_bytes(block_bytes));
  if (n <= 0) return Status::ok();
  gather_blocks_kernel<<<static_cast<unsigned>(n), kThreads, 0, ctx.stream>>>(kv, block_bytes, blocks, out);
  ASC_CUDA_LAUNCHED("gather_blocks_kernel", ctx);
  return Status::ok();
}

Status launch_scatter_blocks(const LaunchContext& ctx, uint8_t* kv, size_t block_bytes,
                             const int32_t* blocks, int32_t n, const uint8_t* in) {
  ASC_RETURN_IF_ERROR(check_block_bytes(block_bytes));
  if (n <= 0) return Status::ok();
  scatter_blocks_kernel<<<static_cast<unsigned>(n), kThreads, 0, ctx.stream>>>(kv, block_bytes, blocks, in);
  ASC_CUDA_LAUNCHED("scatter_blocks_kernel", ctx);
  return Status::ok();
}

}  // namespace asc::cuda
