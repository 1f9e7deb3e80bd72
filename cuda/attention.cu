// Paged attention over block tables, for prefill chunks and decodes in one launch, and the KV
// append that precedes it.
//
// Work item = (query token, query head, context split). A token attends positions [0, pos] of its
// sequence, read through its row's block table (earlier chunks' K/V included), so a prefill chunk
// is causal and a decode is the one-token case. Grouped-query attention maps query head h to KV
// head h / (num_heads / num_kv_heads). Long contexts are split into num_splits ranges processed
// by separate blocks (flash-decoding): a decode of a few sequences still fills the GPU. Within a
// block, each warp walks whole KV blocks of kDeviceKvBlockSize positions with an online softmax:
//   scores: lane p (and p + 16, each half of head_dim) computes q . k_p for position p of the block;
//   update: m' = max(m, max_p s_p); l = l e^(m - m') + sum_p e^(s_p - m'); acc likewise,
//   with lane l holding dims l, l + 32, ... of the accumulator.
// The warps' states are merged in shared memory; with several splits the split states go to
// scratch and a combine kernel merges them. K/V are f16 (the CPU KvStorage layout), math is f32.
#include <cfloat>

#include "cuda/kernels.h"

namespace asc::cuda {

namespace {

constexpr int kWarps = 4;
constexpr int kMaxHeadDim = 256;
constexpr int kMaxDimsPerLane = kMaxHeadDim / 32;
constexpr int32_t kSplitPositions = 512;
constexpr int32_t kMaxSplits = 32;

__device__ __forceinline__ size_t slab_offset(const DeviceKv& kv, int32_t block, int32_t layer, int kv_index,
                                              int32_t kv_head) {
  return ((((static_cast<size_t>(block) * kv.num_layers + layer) * 2 + kv_index) * kv.num_kv_heads + kv_head) *
          kDeviceKvBlockSize) * kv.head_dim;
}

__global__ void kv_append_kernel(DeviceKv kv, int32_t layer, AttentionTokens tokens, const float* k,
                                 const float* v) {
  const int32_t width = kv.num_kv_heads * kv.head_dim;
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= static_cast<int64_t>(tokens.num_tokens) * width) return;
  const int32_t t = static_cast<int32_t>(i / width);
  const int32_t h = static_cast<int32_t>((i % width) / kv.head_dim);
  const int32_t d = static_cast<int32_t>(i % kv.head_dim);
  const int32_t pos = tokens.positions[t];
  const int32_t block = tokens.tables[tokens.table_offset[t] + pos / kDeviceKvBlockSize];
  const size_t slot = static_cast<size_t>(pos % kDeviceKvBlockSize) * kv.head_dim + d;
  kv.data[slab_offset(kv, block, layer, 0, h) + slot] = __float2half_rn(k[i]);
  kv.data[slab_offset(kv, block, layer, 1, h) + slot] = __float2half_rn(v[i]);
}

struct WarpState {
  float m;
  float l;
  float acc[kMaxDimsPerLane];
};

/// Folds one KV block (positions [16 b, 16 b + 16) clipped to [begin, end)) into a warp's state.
__device__ void attend_block(const DeviceKv& kv, const __half* kslab, const __half* vslab, const float* q,
                             int32_t base, int32_t begin, int32_t end, float scale, WarpState& st) {
  const int lane = threadIdx.x % 32;
  const int p = lane & 15;
  const int part = lane >> 4;
  const int32_t hd = kv.head_dim;
  const int32_t pos = base + p;
  const bool valid = pos >= begin && pos < end;
  float dot = 0.0f;
  const int32_t d0 = part * (hd / 2);
  const __half2* krow = reinterpret_cast<const __half2*>(kslab + static_cast<size_t>(p) * hd + d0);
  for (int32_t j = 0; j < hd / 4; ++j) {
    const float2 kf = __half22float2(krow[j]);
    dot += q[d0 + 2 * j] * kf.x + q[d0 + 2 * j + 1] * kf.y;
  }
  dot += __shfl_xor_sync(0xffffffffu, dot, 16);
  const float s = valid ? dot * scale : -FLT_MAX;
  float bmax = s;
#pragma unroll
  for (int off = 8; off > 0; off /= 2) bmax = fmaxf(bmax, __shfl_xor_sync(0xffffffffu, bmax, off));
  const float m_new = fmaxf(st.m, bmax);
  const float alpha = st.m == -FLT_MAX ? 0.0f : expf(st.m - m_new);
  const float w = valid ? expf(s - m_new) : 0.0f;
  float wsum = part == 0 ? w : 0.0f;
#pragma unroll
  for (int off = 16; off > 0; off /= 2) wsum += __shfl_xor_sync(0xffffffffu, wsum, off);
  st.l = st.l * alpha + wsum;
  st.m = m_new;
#pragma unroll
  for (int i = 0; i < kMaxDimsPerLane; ++i) st.acc[i] *= alpha;
  for (int pp = 0; pp < kDeviceKvBlockSize; ++pp) {
    const float wp = __shfl_sync(0xffffffffu, w, pp);
    if (wp == 0.0f) continue;  // uniform across the warp
    const __half* vrow = vslab + static_cast<size_t>(pp) * hd;
#pragma unroll
    for (int i = 0; i < kMaxDimsPerLane; ++i) {
      const int d = lane + 32 * i;
      if (d < hd) st.acc[i] += wp * __half2float(vrow[d]);
    }
  }
}

__global__ void __launch_bounds__(kWarps * 32)
paged_attention_kernel(DeviceKv kv, int32_t layer, AttentionTokens tokens, int32_t num_heads,
                       int32_t split_len, const float* q, float* scratch, float* out) {
  __shared__ float q_s[kMaxHeadDim];
  __shared__ float m_s[kWarps];
  __shared__ float l_s[kWarps];
  __shared__ float acc_s[kWarps][kMaxHeadDim];
  const int32_t t = blockIdx.x;
  const int32_t h = blockIdx.y;
  const int32_t split = blockIdx.z;
  const int32_t hd = kv.head_dim;
  const int32_t kv_head = h / (num_heads / kv.num_kv_heads);
  const float* qrow = q + (static_cast<int64_t>(t) * num_heads + h) * hd;
  for (int d = threadIdx.x; d < hd; d += blockDim.x) q_s[d] = qrow[d];
  __syncthreads();
  const int32_t num_positions = tokens.positions[t] + 1;
  const int32_t begin = split * split_len;
  const int32_t end = min(begin + split_len, num_positions);
  const int warp = threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  WarpState st;
  st.m = -FLT_MAX;
  st.l = 0.0f;
#pragma unroll
  for (int i = 0; i < kMaxDimsPerLane; ++i) st.acc[i] = 0.0f;
  const float scale = rsqrtf(static_cast<float>(hd));
  const int32_t* table = tokens.tables + tokens.table_offset[t];
  for (int32_t b = begin / kDeviceKvBlockSize + warp; b * kDeviceKvBlockSize < end; b += kWarps) {
    const int32_t block = table[b];
    const __half* kslab = kv.data + slab_offset(kv, block, layer, 0, kv_head);
    const __half* vslab = kv.data + slab_offset(kv, block, layer, 1, kv_head);
    attend_block(kv, kslab, vslab, q_s, b * kDeviceKvBlockSize, begin, end, scale, st);
  }
  if (lane == 0) {
    m_s[warp] = st.m;
    l_s[warp] = st.l;
  }
#pragma unroll
  for (int i = 0; i < kMaxDimsPerLane; ++i) {
    if (lane + 32 * i < hd) acc_s[warp][lane + 32 * i] = st.acc[i];
  }
  __syncthreads();
  float m = -FLT_MAX;
  for (int w = 0; w < kWarps; ++w) m = fmaxf(m, m_s[w]);
  float l = 0.0f;
  float f[kWarps];
  for (int w = 0; w < kWarps; ++w) {
    f[w] = m_s[w] == -FLT_MAX ? 0.0f : expf(m_s[w] - m);
    l += l_s[w] * f[w];
  }
  const bool single = gridDim.z == 1;
  float* part = scratch + ((static_cast<int64_t>(t) * num_heads + h) * gridDim.z + split) * (hd + 2);
  for (int d = threadIdx.x; d < hd; d += blockDim.x) {
    float a = 0.0f;
    for (int w = 0; w < kWarps; ++w) a += acc_s[w][d] * f[w];
    if (single) {
      out[(static_cast<int64_t>(t) * num_heads + h) * hd + d] = a / l;
    } else {
      part[d] = a;
    }
  }
  if (!single && threadIdx.x == 0) {
    part[hd] = m;
    part[hd + 1] = l;
  }
}

__global__ void combine_splits_kernel(int32_t num_heads, int32_t head_dim, int32_t num_splits,
                                      const float* scratch, float* out) {
  const int64_t th = static_cast<int64_t>(blockIdx.x) * num_heads + blockIdx.y;
  const float* parts = scratch + th * num_splits * (head_dim + 2);
  float m = -FLT_MAX;
  for (int s = 0; s < num_splits; ++s) m = fmaxf(m, parts[s * (head_dim + 2) + head_dim]);
  for (int d = threadIdx.x; d < head_dim; d += blockDim.x) {
    float a = 0.0f;
    float l = 0.0f;
    for (int s = 0; s < num_splits; ++s) {
      const float* p = parts + s * (head_dim + 2);
      const float f = p[head_dim] == -FLT_MAX ? 0.0f : expf(p[head_dim] - m);
      a += p[d] * f;
      l += p[head_dim + 1] * f;
    }
    out[th * head_dim + d] = a / l;
  }
}

}  // namespace

Status launch_kv_append(const LaunchContext& ctx, const DeviceKv& kv, int32_t layer,
                        const AttentionTokens& tokens, const float* k, const float* v) {
  const int64_t items = static_cast<int64_t>(tokens.num_tokens) * kv.num_kv_heads * kv.head_dim;
  if (items <= 0) return Status::ok();
  kv_append_kernel<<<static_cast<unsigned>((items + 255) / 256), 256, 0, ctx.stream>>>(kv, layer, tokens, k, v);
  ASC_CUDA_LAUNCHED("kv_append_kernel", ctx);
  return Status::ok();
}

int32_t attention_num_splits(int32_t max_positions) {
  const int32_t splits = (max_positions + kSplitPositions - 1) / kSplitPositions;
  return splits < 1 ? 1 : (splits > kMaxSplits ? kMaxSplits : splits);
}

size_t attention_scratch_floats(int32_t num_tokens, int32_t num_heads, int32_t head_dim, int32_t num_splits) {
  if (num_splits <= 1) return 1;
  return static_cast<size_t>(num_tokens) * num_heads * num_splits * (head_dim + 2);
}

Status launch_paged_attention(const LaunchContext& ctx, const DeviceKv& kv, int32_t layer,
                              const AttentionTokens& tokens, int32_t num_heads, const float* q,
                              float* scratch, float* out) {
  if (kv.head_dim > kMaxHeadDim || kv.head_dim % 4 != 0 || kv.num_kv_heads < 1 ||
      num_heads % kv.num_kv_heads != 0) {
    return unimplemented("paged attention: head_dim " + std::to_string(kv.head_dim) + " with " +
                         std::to_string(num_heads) + " / " + std::to_string(kv.num_kv_heads) +
                         " heads is not supported (head_dim <= 256, a multiple of 4)");
  }
  if (tokens.num_tokens <= 0) return Status::ok();
  const int32_t splits = attention_num_splits(tokens.max_positions);
  int32_t split_len = (tokens.max_positions + splits - 1) / splits;
  split_len = (split_len + kDeviceKvBlockSize - 1) / kDeviceKvBlockSize * kDeviceKvBlockSize;
  const dim3 grid(static_cast<unsigned>(tokens.num_tokens), static_cast<unsigned>(num_heads),
                  static_cast<unsigned>(splits));
  paged_attention_kernel<<<grid, kWarps * 32, 0, ctx.stream>>>(kv, layer, tokens, num_heads, split_len, q,
                                                                scratch, out);
  ASC_CUDA_LAUNCHED("paged_attention_kernel", ctx);
  if (splits > 1) {
    const dim3 cgrid(static_cast<unsigned>(tokens.num_tokens), static_cast<unsigned>(num_heads));
    combine_splits_kernel<<<cgrid, 128, 0, ctx.stream>>>(num_heads, kv.head_dim, splits, scratch, out);
    ASC_CUDA_LAUNCHED("combine_splits_kernel", ctx);
  }
  return Status::ok();
}

}  // namespace asc::cuda
