// The paged-attention inner loop, written once over a small "Ops" policy (f16 row conversion, dot,
// axpy, scale, round to f16) and instantiated in each ISA translation unit with that unit's ops.
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

/// Running state of the online softmax of one query head (llama.cpp's CPU flash-attention
/// numerics): the V accumulator holds f16 values, kept as floats.
struct HeadState {
  float max;   // running max score M
  float sum;   // running sum S of e^(s - M), f32
};

/// Online-softmax update of one head over the n positions of a block, one position at a time in
/// llama.cpp's order: on a new max M' the accumulator is scaled by e^(M - M') (rounded to f16),
/// then acc = f16(acc + e^(s - M') v) (fused multiply-add, rounded to f16); S = fma(S, ms, vs).
template <class Ops>
void update_head(const float* scores, const float* v_rows, int32_t hd, int32_t n, HeadState& st,
                 float* acc) {
  for (int32_t j = 0; j < n; ++j) {
    const float s = scores[j];
    float ms = 1.0f;
    float vs = 1.0f;
    if (s > st.max) {
      ms = std::exp(st.max - s);  // e^-inf = 0 on the first position
      st.max = s;
      Ops::scale(ms, acc, hd);
      Ops::round_f16(acc, hd);
    } else {
      vs = std::exp(s - st.max);
    }
    Ops::axpy(vs, v_rows + j * hd, acc, hd);
    Ops::round_f16(acc, hd);
    st.sum = std::fma(st.sum, ms, vs);  // llama.cpp's build contracts S * ms + vs
  }
}

template <class Ops>
void attend_generic(const AttentionTask& t) {
  const KvGeometry& g = t.kv->geometry();
  const int32_t hd = g.head_dim;
  ASC_CHECK(hd <= kMaxHeadDim && t.group_size >= 1 && t.group_size <= kMaxGroupSize);
  ASC_CHECK(t.num_positions >= 1);
  HeadState st[kMaxGroupSize];
  alignas(64) float acc[kMaxGroupSize * kMaxHeadDim];   // [group_size][head_dim] f16-valued V sum
  alignas(64) float q16[kMaxGroupSize * kMaxHeadDim];   // [group_size][head_dim] Q rounded to f16
  // Plain loops rather than std algorithms: this header is compiled per ISA, and library template
  // instantiations shared with baseline code could otherwise be merged with an ISA-specific copy.
  for (int32_t h = 0; h < t.group_size; ++h) {
    st[h].max = -std::numeric_limits<float>::infinity();
    st[h].sum = 0.0f;
    for (int32_t i = 0; i < hd; ++i) q16[h * hd + i] = t.q[h * t.q_stride + i];
    Ops::round_f16(q16 + h * hd, hd);
  }
  for (int32_t i = 0; i < t.group_size * hd; ++i) acc[i] = 0.0f;
  alignas(64) float rows[kKvBlockSize * kMaxHeadDim];  // [kKvBlockSize][head_dim] K, then V, f32
  float scores[kMaxGroupSize][kKvBlockSize];           // [group_size][kKvBlockSize]
  const size_t head_offset = static_cast<size_t>(t.kv_head) * kKvBlockSize * hd;
  const int32_t num_blocks = (t.num_positions + kKvBlockSize - 1) / kKvBlockSize;
  for (int32_t b = 0; b < num_blocks; ++b) {
    const int32_t block = t.block_table[static_cast<size_t>(b)];
    const int32_t left = t.num_positions - b * kKvBlockSize;
    const int32_t n = left < kKvBlockSize ? left : kKvBlockSize;
    Ops::load_f16(t.kv->k(block, t.layer) + head_offset, rows, n * hd);
    for (int32_t h = 0; h < t.group_size; ++h) {
      for (int32_t j = 0; j < n; ++j) scores[h][j] = Ops::dot(q16 + h * hd, rows + j * hd, hd) * t.scale;
    }
    Ops::load_f16(t.kv->v(block, t.layer) + head_offset, rows, n * hd);
    for (int32_t h = 0; h < t.group_size; ++h) update_head<Ops>(scores[h], rows, hd, n, st[h], acc + h * hd);
  }
  for (int32_t h = 0; h < t.group_size; ++h) {
    float* out = t.out + h * t.q_stride;
    const float inv = 1.0f / st[h].sum;
    for (int32_t i = 0; i < hd; ++i) out[i] = acc[h * hd + i] * inv;
  }
}

}  // namespace asc::cpu::detail
