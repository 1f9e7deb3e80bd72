// Rotary position embedding: the step's cos/sin table (angles computed in double, once per step,
// as the CPU RopeTable does) and the rotation of Q or K in place, both layouts:
// kNormal rotates pairs (2i, 2i + 1) (GGUF llama), kNeox pairs (i, i + half) (HF / NeoX).
// Only the first 2 * half dimensions of a head rotate (partial rotary).
#include "cuda/kernels.h"

namespace asc::cuda {

namespace {

constexpr int kThreads = 256;

__global__ void rope_table_kernel(const int32_t* positions, int64_t num_tokens, const double* inv_freq,
                                  int32_t half, float* cos_out, float* sin_out) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  if (i >= num_tokens * half) return;
  const double angle = static_cast<double>(positions[i / half]) * inv_freq[i % half];
  cos_out[i] = static_cast<float>(cos(angle));
  sin_out[i] = static_cast<float>(sin(angle));
}

__global__ void rope_kernel(float* x, int64_t num_tokens, int32_t num_heads, int32_t head_dim,
                            int32_t half, bool neox, const float* cos_t, const float* sin_t) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  const int64_t pairs_per_token = static_cast<int64_t>(num_heads) * half;
  if (i >= num_tokens * pairs_per_token) return;
  const int64_t t = i / pairs_per_token;
  const int32_t h = static_cast<int32_t>((i % pairs_per_token) / half);
  const int32_t p = static_cast<int32_t>(i % half);
  float* head = x + (t * num_heads + h) * head_dim;
  const int32_t a = neox ? p : 2 * p;
  const int32_t b = neox ? p + half : 2 * p + 1;
  const float c = cos_t[t * half + p];
  const float s = sin_t[t * half + p];
  const float x0 = head[a];
  const float x1 = head[b];
  head[a] = x0 * c - x1 * s;
  head[b] = x0 * s + x1 * c;
}

}  // namespace

Status launch_rope_table(const LaunchContext& ctx, const int32_t* positions, int64_t num_tokens,
                         const double* inv_freq, int32_t half, float* cos_out, float* sin_out) {
  const int64_t items = num_tokens * half;
  if (items <= 0) return Status::ok();
  rope_table_kernel<<<static_cast<unsigned>((items + kThreads - 1) / kThreads), kThreads, 0, ctx.stream>>>(
      positions, num_tokens, inv_freq, half, cos_out, sin_out);
  ASC_CUDA_LAUNCHED("rope_table_kernel", ctx);
  return Status::ok();
}

Status launch_rope(const LaunchContext& ctx, float* x, int64_t num_tokens, int32_t num_heads,
                   int32_t head_dim, int32_t half, bool neox, const float* cos_t, const float* sin_t) {
  if (2 * half > head_dim) return invalid_argument("rope: rotated dims exceed head_dim");
  const int64_t items = num_tokens * num_heads * half;
  if (items <= 0) return Status::ok();
  rope_kernel<<<static_cast<unsigned>((items + kThreads - 1) / kThreads), kThreads, 0, ctx.stream>>>(
      x, num_tokens, num_heads, head_dim, half, neox, cos_t, sin_t);
  ASC_CUDA_LAUNCHED("rope_kernel", ctx);
  return Status::ok();
}

}  // namespace asc::cuda
