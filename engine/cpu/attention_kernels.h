// Per-ISA inner kernel of paged attention: one query token, one group of query heads sharing a KV
// head, over the positions [0, num_positions) read through the sequence's block table.
//
// Algorithm, mirroring llama.cpp's CPU flash attention (so greedy tokens match it): Q is rounded to
// f16; per block of kKvBlockSize positions, scores s_j = (q . k_j) * scale for every head of the
// group (K converted from f16 once per group); then position by position the online softmax
//   on s > m: acc = f16(acc * e^(m - s)), m = s;  else w = e^(s - m);  acc = f16(acc + w v_j)
//   l = l * e^(m_old - m) + w
// with the V accumulator rounded to f16 after every update, and finally out = acc / l.
// The scalar version is the reference; the AVX2
// and AVX-512 versions (attention_avx2.cpp / attention_avx512.cpp) vectorise along head_dim with
// F16C conversions and are tested against it.
#pragma once

#include <cstdint>
#include <span>

#include "engine/cpu/cpu_features.h"
#include "engine/cpu/kv_storage.h"

namespace asc::cpu {

/// Largest supported head_dim and query heads per KV head (bounds of on-stack accumulators).
inline constexpr int32_t kMaxHeadDim = 256;
inline constexpr int32_t kMaxGroupSize = 16;

/// One unit of attention work: a query token's group of heads that share KV head kv_head.
struct AttentionTask {
  const float* q = nullptr;                // [group_size][head_dim], heads at stride q_stride
  float* out = nullptr;                    // [group_size][head_dim], heads at stride q_stride
  int64_t q_stride = 0;                    // elements between consecutive heads (== head_dim)
  int32_t group_size = 1;                  // query heads per KV head, <= kMaxGroupSize
  const KvStorage* kv = nullptr;
  int32_t layer = 0;
  int32_t kv_head = 0;
  std::span<const int32_t> block_table;    // covers [0, num_positions)
  int32_t num_positions = 0;               // >= 1: the query attends positions [0, num_positions)
  float scale = 1.0f;                      // 1 / sqrt(head_dim)
};

using AttendFn = void (*)(const AttentionTask& task);

/// Scalar reference kernel.
void attend_scalar(const AttentionTask& task);
/// AVX2 + FMA + F16C kernel (attention_avx2.cpp); head_dim a multiple of 8.
void attend_avx2(const AttentionTask& task);
/// AVX-512F kernel (attention_avx512.cpp); head_dim a multiple of 16.
void attend_avx512(const AttentionTask& task);

/// The kernel for an ISA level and head_dim (falls back to a lower level when head_dim does not
/// suit the wider vectors).
AttendFn attend_kernel_for(IsaLevel level, int32_t head_dim);

}  // namespace asc::cpu
