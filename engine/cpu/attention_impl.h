// The paged-attention inner loop, written once over a small "Ops" policy (f16 row conversion, dot,
// axpy, scale) and instantiated in each ISA translation unit with that unit's vector ops.
//
// Include only from attention_kernels.cpp, attention_avx2.cpp and attention_avx512.cpp, and always
// instantiate with an Ops type in an anonymous namespace: instantiations compiled with different ISA
// flags must never be merged by the linker.
#pragma once

#include <cmath>
#include <limits>

#include "engine/core/status.h"
#include "engine/cpu/attention_kernels.h"

namespace asc::cpu::detail {

/// Running state of the online softmax of one group of heads.
struct OnlineSoftmax {
  float max[kMaxGroupSize];                    // running max score per head
  float sum[kMaxGroupSize];                    // running sum of e^(s - max) per head
  float acc[kMaxGroupSize * kMaxHeadDim];      // [group_size][head_dim] running weighted V sum
};

/// Scores of one block for every head, then the online-softmax rescale; on return
/// scores[h][j] holds the unnormalised weights e^(s - max') of positions j < n.
template <class Ops>
void update_block_weights(const AttentionTask& t, int32_t hd, int32_t n, const float* kf,
                          float (*scores)[kKvBlockSize], OnlineSoftmax& st) {
  for (int32_t h = 0; h < t.group_size; ++h) {
    const float* q = t.q + h * t.q_stride;
    float new_max = st.max[h];
    for (int32_t j = 0; j < n; ++j) {
      scores[h][j] = t.scale * Ops::dot(q, kf + j * hd, hd);
      if (scores[h][j] > new_max) new_max = scores[h][j];
    }
    // First block: max is -inf, the correction is e^-inf = 0 and acc/sum are still zero.
    const float correction = std::exp(st.max[h] - new_max);
    if (correction != 1.0f) {
      st.sum[h] *= correction;
      Ops::scale(correction, st.acc + h * hd, hd);
    }
    for (int32_t j = 0; j < n; ++j) {
      scores[h][j] = std::exp(scores[h][j] - new_max);
      st.sum[h] += scores[h][j];
    }
    st.max[h] = new_max;
  }
}

template <class Ops>
void attend_generic(const AttentionTask& t) {
  const KvGeometry& g = t.kv->geometry();
  const int32_t hd = g.head_dim;
  ASC_CHECK(hd <= kMaxHeadDim && t.group_size >= 1 && t.group_size <= kMaxGroupSize);
  ASC_CHECK(t.num_positions >= 1);
  OnlineSoftmax st;
  // Plain loops rather than std algorithms: this header is compiled per ISA, and library template
  // instantiations shared with baseline code could otherwise be merged with an ISA-specific copy.
  for (int32_t h = 0; h < t.group_size; ++h) {
    st.max[h] = -std::numeric_limits<float>::infinity();
    st.sum[h] = 0.0f;
  }
  for (int32_t i = 0; i < t.group_size * hd; ++i) st.acc[i] = 0.0f;
  alignas(64) float rows[kKvBlockSize * kMaxHeadDim];  // [kKvBlockSize][head_dim] K, then V, f32
  float scores[kMaxGroupSize][kKvBlockSize];           // [group_size][kKvBlockSize]
  const size_t head_offset = static_cast<size_t>(t.kv_head) * kKvBlockSize * hd;
  const int32_t num_blocks = (t.num_positions + kKvBlockSize - 1) / kKvBlockSize;
  for (int32_t b = 0; b < num_blocks; ++b) {
    const int32_t block = t.block_table[static_cast<size_t>(b)];
    const int32_t left = t.num_positions - b * kKvBlockSize;
    const int32_t n = left < kKvBlockSize ? left : kKvBlockSize;
    Ops::load_f16(t.kv->k(block, t.layer) + head_offset, rows, n * hd);
    update_block_weights<Ops>(t, hd, n, rows, scores, st);
    Ops::load_f16(t.kv->v(block, t.layer) + head_offset, rows, n * hd);
    for (int32_t j = 0; j < n; ++j) {
      for (int32_t h = 0; h < t.group_size; ++h) {
        Ops::axpy(scores[h][j], rows + j * hd, st.acc + h * hd, hd);
      }
    }
  }
  for (int32_t h = 0; h < t.group_size; ++h) {
    float* out = t.out + h * t.q_stride;
    const float inv = 1.0f / st.sum[h];
    for (int32_t i = 0; i < hd; ++i) out[i] = st.acc[h * hd + i] * inv;
  }
}

}  // namespace asc::cpu::detail
