// Token sampling on the device, one thread block per logits row, mirroring the CPU Sampler
// (engine/cpu/sampler.h): greedy argmax (ties to the lowest id) when temperature <= 0 or
// top_k == 1; otherwise p_i = exp((l_i - max) / T), min-p (p >= min_p, p_max scaled to 1),
// top-k, top-p over the kept mass, and one draw with the row's uniform u (the CPU's stateless
// counter_uniform(seed, num_generated), computed on the host).
//
// Instead of sorting the vocabulary, every filter is a threshold found by binary search over the
// bit patterns of non-negative floats (which order like the values): top-k keeps p >= the k-th
// largest value, top-p keeps p >= the largest threshold whose kept mass reaches top_p of the
// total, and the draw walks the kept tokens in the CPU's order (most likely first after a top-p
// cut, else by id) through the same search. Tokens tied exactly at a threshold are all kept, and
// masses are summed in a different order than on the CPU: a draw landing within rounding of a
// boundary may pick the neighbouring token.
#include <cfloat>

#include "cuda/kernels.h"

namespace asc::cuda {

namespace {

constexpr int kThreads = 1024;
constexpr uint32_t kInfBits = 0x7f800000u;

struct Reduce {
  double mass[kThreads / 32];
  int count[kThreads / 32];
  float value[kThreads / 32];
  int index[kThreads / 32];
};

/// Block-wide sum of (mass, count); every thread gets the totals.
__device__ void block_sum(double& mass, int& count, Reduce& sh) {
#pragma unroll
  for (int off = 16; off > 0; off /= 2) {
    mass += __shfl_xor_sync(0xffffffffu, mass, off);
    count += __shfl_xor_sync(0xffffffffu, count, off);
  }
  if (threadIdx.x % 32 == 0) {
    sh.mass[threadIdx.x / 32] = mass;
    sh.count[threadIdx.x / 32] = count;
  }
  __syncthreads();
  mass = 0.0;
  count = 0;
  for (int w = 0; w < kThreads / 32; ++w) {
    mass += sh.mass[w];
    count += sh.count[w];
  }
  __syncthreads();
}

/// Mass and count of the probabilities >= tau (ids < id_limit when by_id, for the id-order walk).
__device__ void mass_at_least(const float* p, int32_t vocab, float tau, int32_t id_limit, double& mass,
                              int& count, Reduce& sh) {
  mass = 0.0;
  count = 0;
  for (int32_t i = threadIdx.x; i < id_limit && i < vocab; i += kThreads) {
    const float v = p[i];
    if (v > 0.0f && v >= tau) {
      mass += v;
      ++count;
    }
  }
  block_sum(mass, count, sh);
}

/// Largest threshold bits in [0, inf] with pred(mass, count of p >= threshold) true (pred(0) must hold).
template <typename Pred>
__device__ float search_threshold(const float* p, int32_t vocab, Reduce& sh, Pred pred) {
  uint32_t lo = 0;
  uint32_t hi = kInfBits;
  while (lo < hi) {
    const uint32_t mid = lo + (hi - lo + 1) / 2;
    double mass;
    int count;
    mass_at_least(p, vocab, __uint_as_float(mid), vocab, mass, count, sh);
    if (pred(mass, count)) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return __uint_as_float(lo);
}

/// Block-wide argmax, ties to the lowest index; every thread gets the index.
__device__ int32_t block_argmax(const float* x, int32_t n, Reduce& sh) {
  float best = -FLT_MAX;
  int32_t idx = 0x7fffffff;
  for (int32_t i = threadIdx.x; i < n; i += kThreads) {
    if (x[i] > best || idx == 0x7fffffff) {
      best = x[i];
      idx = i;
    }
  }
#pragma unroll
  for (int off = 16; off > 0; off /= 2) {
    const float ob = __shfl_xor_sync(0xffffffffu, best, off);
    const int32_t oi = __shfl_xor_sync(0xffffffffu, idx, off);
    if (ob > best || (ob == best && oi < idx)) {
      best = ob;
      idx = oi;
    }
  }
  if (threadIdx.x % 32 == 0) {
    sh.value[threadIdx.x / 32] = best;
    sh.index[threadIdx.x / 32] = idx;
  }
  __syncthreads();
  best = sh.value[0];
  idx = sh.index[0];
  for (int w = 1; w < kThreads / 32; ++w) {
    if (sh.value[w] > best || (sh.value[w] == best && sh.index[w] < idx)) {
      best = sh.value[w];
      idx = sh.index[w];
    }
  }
  __syncthreads();
  return idx;
}

/// Drops (zeroes) the probabilities below tau.
__device__ void drop_below(float* p, int32_t vocab, float tau) {
  for (int32_t i = threadIdx.x; i < vocab; i += kThreads) {
    if (p[i] < tau) p[i] = 0.0f;
  }
  __syncthreads();
}

/// The draw in id order: the smallest id whose prefix mass exceeds target (else the last kept id).
__device__ int32_t draw_by_id(const float* p, int32_t vocab, double target, Reduce& sh) {
  int32_t lo = 0;
  int32_t hi = vocab;  // answer in [lo, hi); hi = vocab means "not found"
  while (lo < hi) {
    const int32_t mid = lo + (hi - lo) / 2;
    double mass;
    int count;
    mass_at_least(p, vocab, 0.0f, mid + 1, mass, count, sh);
    if (mass > target) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  if (lo < vocab) return lo;
  int32_t last = -1;
  for (int32_t i = threadIdx.x; i < vocab; i += kThreads) {
    if (p[i] > 0.0f) last = i;
  }
#pragma unroll
  for (int off = 16; off > 0; off /= 2) last = max(last, __shfl_xor_sync(0xffffffffu, last, off));
  if (threadIdx.x % 32 == 0) sh.index[threadIdx.x / 32] = last;
  __syncthreads();
  for (int w = 0; w < kThreads / 32; ++w) last = max(last, sh.index[w]);
  __syncthreads();
  return last;
}

__global__ void __launch_bounds__(kThreads)
sample_kernel(const float* logits, int32_t vocab, const DeviceSamplingParams* params, float* probs,
              int32_t* out) {
  __shared__ Reduce sh;
  const float* l = logits + static_cast<int64_t>(blockIdx.x) * vocab;
  float* p = probs + static_cast<int64_t>(blockIdx.x) * vocab;
  const DeviceSamplingParams prm = params[blockIdx.x];
  const int32_t best = block_argmax(l, vocab, sh);
  if (prm.temperature <= 0.0f || prm.top_k == 1) {
    if (threadIdx.x == 0) out[blockIdx.x] = best;
    return;
  }
  const float max_logit = l[best];
  const float inv_t = 1.0f / prm.temperature;
  const float min_keep = fminf(fmaxf(prm.min_p, 0.0f), 1.0f);
  for (int32_t i = threadIdx.x; i < vocab; i += kThreads) {
    const float v = expf((l[i] - max_logit) * inv_t);
    p[i] = (v > 0.0f && v >= min_keep) ? v : 0.0f;
  }
  __syncthreads();
  double total;
  int kept;
  mass_at_least(p, vocab, 0.0f, vocab, total, kept, sh);
  if (prm.top_k > 0 && prm.top_k < kept) {
    const int k = prm.top_k;
    drop_below(p, vocab, search_threshold(p, vocab, sh, [k](double, int c) { return c >= k; }));
    mass_at_least(p, vocab, 0.0f, vocab, total, kept, sh);
  }
  const bool sorted_walk = prm.top_p < 1.0f;
  if (sorted_walk) {
    const double target = fmax(0.0, static_cast<double>(prm.top_p)) * total;
    drop_below(p, vocab, search_threshold(p, vocab, sh, [target](double m, int c) { return c > 0 && m >= target; }));
    mass_at_least(p, vocab, 0.0f, vocab, total, kept, sh);
  }
  const double u = prm.u * total;
  int32_t token;
  if (sorted_walk) {
    // Walking most likely first, the chosen token has the largest p whose mass(p' >= p) exceeds u.
    const float tau = search_threshold(p, vocab, sh, [u](double m, int c) { return c > 0 && m > u; });
    int32_t lowest = 0x7fffffff;
    for (int32_t i = threadIdx.x; i < vocab; i += kThreads) {
      if (p[i] > 0.0f && p[i] >= tau && (tau > 0.0f ? p[i] == tau : true)) lowest = min(lowest, i);
    }
#pragma unroll
    for (int off = 16; off > 0; off /= 2) lowest = min(lowest, __shfl_xor_sync(0xffffffffu, lowest, off));
    if (threadIdx.x % 32 == 0) sh.index[threadIdx.x / 32] = lowest;
    __syncthreads();
    for (int w = 0; w < kThreads / 32; ++w) lowest = min(lowest, sh.index[w]);
    token = lowest == 0x7fffffff ? best : lowest;
  } else {
    token = draw_by_id(p, vocab, u, sh);
    if (token < 0) token = best;
  }
  if (threadIdx.x == 0) out[blockIdx.x] = token;
}

}  // namespace

Status launch_sample(const LaunchContext& ctx, const float* logits, int32_t rows, int32_t vocab,
                     const DeviceSamplingParams* params, float* probs, int32_t* out_tokens) {
  if (rows <= 0) return Status::ok();
  if (vocab <= 0) return invalid_argument("sample: empty vocabulary");
  sample_kernel<<<static_cast<unsigned>(rows), kThreads, 0, ctx.stream>>>(logits, vocab, params, probs, out_tokens);
  ASC_CUDA_LAUNCHED("sample_kernel", ctx);
  return Status::ok();
}

}  // namespace asc::cuda
