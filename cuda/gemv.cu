// Fused quantized GEMV for decode: y[t] = W x[t] for up to kGemvMaxTokens tokens.
//
// Decode is memory-bound: the weights are read once, in their quantized form, for all tokens of
// the step. One warp per output row; lane l decodes chunks l, l + 32, ... of the row
// (dequant_device.cuh) and multiplies each decoded chunk with every token's 32 activations
// (read through the read-only cache: a few KB per token, shared by all rows). A warp reduction
// then gives each token's dot product. Accumulation is f32, activations are not quantized.
#include "cuda/dequant_device.cuh"
#include "cuda/kernels.h"

namespace asc::cuda {

namespace {

constexpr int kWarpsPerBlock = 8;

__global__ void __launch_bounds__(kWarpsPerBlock * 32)
quant_gemv_kernel(DType type, const uint8_t* w, size_t row_bytes, int64_t k, int64_t n,
                  const float* __restrict__ x, int32_t m, float* __restrict__ y) {
  const int lane = threadIdx.x % 32;
  const int64_t row = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / 32;
  if (row >= n) return;  // whole warps exit together
  const uint8_t* wrow = w + row * row_bytes;
  const int64_t chunks = k / 32;
  float acc[kGemvMaxTokens];
#pragma unroll
  for (int t = 0; t < kGemvMaxTokens; ++t) acc[t] = 0.0f;
  for (int64_t c = lane; c < chunks; c += 32) {
    float v[32];
    dequant_chunk32(type, wrow, c, v);
#pragma unroll
    for (int t = 0; t < kGemvMaxTokens; ++t) {
      if (t < m) {
        const float4* xt = reinterpret_cast<const float4*>(x + t * k + c * 32);
        float s = 0.0f;
#pragma unroll
        for (int j = 0; j < 8; ++j) {
          const float4 xv = __ldg(xt + j);
          s += v[4 * j] * xv.x + v[4 * j + 1] * xv.y + v[4 * j + 2] * xv.z + v[4 * j + 3] * xv.w;
        }
        acc[t] += s;
      }
    }
  }
#pragma unroll
  for (int t = 0; t < kGemvMaxTokens; ++t) {
    float s = acc[t];
#pragma unroll
    for (int off = 16; off > 0; off /= 2) s += __shfl_xor_sync(0xffffffffu, s, off);
    if (lane == 0 && t < m) y[t * n + row] = s;
  }
}

}  // namespace

Status launch_quant_gemv(const LaunchContext& ctx, const DeviceMatrix& w, const float* x, int32_t m,
                         float* y) {
  if (m < 1 || m > kGemvMaxTokens) {
    return invalid_argument("quant_gemv: " + std::to_string(m) + " tokens, expected 1.." +
                            std::to_string(kGemvMaxTokens));
  }
  if (!device_supports(w.type, w.k)) {
    return unimplemented(std::string("quant_gemv: type ") + dtype_name(w.type) + " with k " +
                         std::to_string(w.k));
  }
  const auto blocks = static_cast<unsigned>((w.n + kWarpsPerBlock - 1) / kWarpsPerBlock);
  quant_gemv_kernel<<<blocks, kWarpsPerBlock * 32, 0, ctx.stream>>>(w.type, w.data, w.row_bytes, w.k,
                                                                    w.n, x, m, y);
  ASC_CUDA_LAUNCHED("quant_gemv_kernel", ctx);
  return Status::ok();
}

}  // namespace asc::cuda
