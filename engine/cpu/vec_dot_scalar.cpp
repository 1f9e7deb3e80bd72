// Scalar reference kernels: the oracle every SIMD kernel is tested against, and the fallback on
// CPUs without AVX2. Integer dot products are computed exactly per block, then scaled in fp32, in
// the same order of operations as the SIMD kernels (so they agree to rounding).
#include <cmath>
#include <cstring>

#include "engine/cpu/elementwise.h"
#include "engine/cpu/fp16.h"
#include "engine/cpu/kernel_table.h"
#include "engine/cpu/quant.h"
#include "engine/cpu/vec_dot.h"

namespace asc::cpu {

namespace {

// ---- Row dot products: weight row (DType) x activation row (ActFormat) ----

// ggml's order for 32-element blocks (vec_dot_q4_1_q8_1 / q8_0_q8_0 on x86): lane l of a block is
// the integer dot of elements [4l, 4l + 4); acc[l] = fma(dw * dx, lane, acc[l]) block after block;
// the weight offset terms (Q4_0: -8 dw, Q4_1: m) times the activation block sums are summed apart in
// block order; result = ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7)) + offsets.
float hsum8(const float* a) { return ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7])); }

int q4_value(const uint8_t* qs, int e) { return e < 16 ? (qs[e] & 0xF) : (qs[e - 16] >> 4); }

template <class Block, bool kOffsetIsMin>
float dot_q4_row(int64_t k, const uint8_t* w, const uint8_t* x) {
  const Block* b = reinterpret_cast<const Block*>(w);
  const int8_t* qs = q8x32_qs(x);
  const float* dvec = q8x32_dvec(x, k);
  const float* svec = q8x32_svec(x, k);
  float acc[8] = {};
  float summs = 0.0f;
  for (int64_t i = 0; i < k / kQk; ++i) {
    const float d = fp16_to_fp32(b[i].d);
    for (int l = 0; l < 8; ++l) {
      int lane = 0;
      for (int e = 4 * l; e < 4 * l + 4; ++e) lane += q4_value(b[i].qs, e) * qs[i * kQk + e];
      acc[l] = std::fma(d * dvec[i * 8], static_cast<float>(lane), acc[l]);
    }
    float offset;
    if constexpr (kOffsetIsMin) {
      offset = fp16_to_fp32(b[i].m);
    } else {
      offset = -8.0f * d;
    }
    summs += offset * svec[i * 8];
  }
  return hsum8(acc) + summs;
}

float dot_q4_0_row(int64_t k, const uint8_t* w, const uint8_t* x) {
  return dot_q4_row<BlockQ4_0, false>(k, w, x);
}

float dot_q4_1_row(int64_t k, const uint8_t* w, const uint8_t* x) {
  return dot_q4_row<BlockQ4_1, true>(k, w, x);
}

float dot_q8_0_row(int64_t k, const uint8_t* w, const uint8_t* x) {
  const BlockQ8_0* b = reinterpret_cast<const BlockQ8_0*>(w);
  const int8_t* qs = q8x32_qs(x);
  const float* dvec = q8x32_dvec(x, k);
  float acc[8] = {};
  for (int64_t i = 0; i < k / kQk; ++i) {
    const float d = fp16_to_fp32(b[i].d) * dvec[i * 8];
    for (int l = 0; l < 8; ++l) {
      int lane = 0;
      for (int e = 4 * l; e < 4 * l + 4; ++e) lane += b[i].qs[e] * qs[i * kQk + e];
      acc[l] = std::fma(d, static_cast<float>(lane), acc[l]);
    }
  }
  return hsum8(acc);
}

float dot_q4_k_row(int64_t k, const uint8_t* w, const uint8_t* x) {
  const BlockQ4_K* b = reinterpret_cast<const BlockQ4_K*>(w);
  const BlockQ8K* a = reinterpret_cast<const BlockQ8K*>(x);
  float acc = 0.0f;
  for (int64_t i = 0; i < k / kQkK; ++i) {
    int sumi = 0, summ = 0;
    for (int j = 0; j < 8; ++j) {
      uint8_t sc, mn;
      unpack_k_scale_min(j, b[i].scales, &sc, &mn);
      const uint8_t* q = b[i].qs + (j / 2) * 32;
      const int shift = (j % 2) * 4;
      int s = 0;
      for (int l = 0; l < 32; ++l) s += ((q[l] >> shift) & 0xF) * a[i].qs[j * 32 + l];
      sumi += sc * s;
      summ += mn * (a[i].bsums[2 * j] + a[i].bsums[2 * j + 1]);
    }
    acc += a[i].d * (fp16_to_fp32(b[i].d) * static_cast<float>(sumi) -
                     fp16_to_fp32(b[i].dmin) * static_cast<float>(summ));
  }
  return acc;
}

float dot_q5_k_row(int64_t k, const uint8_t* w, const uint8_t* x) {
  const BlockQ5_K* b = reinterpret_cast<const BlockQ5_K*>(w);
  const BlockQ8K* a = reinterpret_cast<const BlockQ8K*>(x);
  float acc = 0.0f;
  for (int64_t i = 0; i < k / kQkK; ++i) {
    int sumi = 0, summ = 0;
    for (int j = 0; j < 8; ++j) {
      uint8_t sc, mn;
      unpack_k_scale_min(j, b[i].scales, &sc, &mn);
      const uint8_t* q = b[i].qs + (j / 2) * 32;
      const int shift = (j % 2) * 4;
      int s = 0;
      for (int l = 0; l < 32; ++l) {
        const int v = ((q[l] >> shift) & 0xF) | (((b[i].qh[l] >> j) & 1) << 4);
        s += v * a[i].qs[j * 32 + l];
      }
      sumi += sc * s;
      summ += mn * (a[i].bsums[2 * j] + a[i].bsums[2 * j + 1]);
    }
    acc += a[i].d * (fp16_to_fp32(b[i].d) * static_cast<float>(sumi) -
                     fp16_to_fp32(b[i].dmin) * static_cast<float>(summ));
  }
  return acc;
}

float dot_q6_k_row(int64_t k, const uint8_t* w, const uint8_t* x) {
  const BlockQ6_K* b = reinterpret_cast<const BlockQ6_K*>(w);
  const BlockQ8K* a = reinterpret_cast<const BlockQ8K*>(x);
  float acc = 0.0f;
  for (int64_t i = 0; i < k / kQkK; ++i) {
    int sumi = 0;
    for (int e = 0; e < kQkK; e += 16) {  // sub-block of 16 elements, scale index e / 16
      const int half = e / 128, pos = e % 128;   // 128-element half, offset inside it
      const int quarter = pos / 32, l0 = pos % 32;
      int s = 0;
      for (int l = l0; l < l0 + 16; ++l) {
        const uint8_t lo = b[i].ql[half * 64 + l + (quarter % 2) * 32];
        const int low = quarter < 2 ? (lo & 0xF) : (lo >> 4);
        const int high = (b[i].qh[half * 32 + l] >> (2 * quarter)) & 3;
        s += ((low | (high << 4)) - 32) * a[i].qs[e + l - l0];
      }
      sumi += b[i].scales[e / 16] * s;
    }
    acc += a[i].d * fp16_to_fp32(b[i].d) * static_cast<float>(sumi);
  }
  return acc;
}

float dot_f32_row(int64_t k, const uint8_t* w, const uint8_t* x) {
  const float* wf = reinterpret_cast<const float*>(w);
  const float* xf = reinterpret_cast<const float*>(x);
  float acc = 0.0f;
  for (int64_t i = 0; i < k; ++i) acc += wf[i] * xf[i];
  return acc;
}

template <float (*Convert)(uint16_t)>
float dot_half_row(int64_t k, const uint8_t* w, const uint8_t* x) {
  const float* xf = reinterpret_cast<const float*>(x);
  float acc = 0.0f;
  for (int64_t i = 0; i < k; ++i) {
    uint16_t h;
    std::memcpy(&h, w + 2 * i, 2);
    acc += Convert(h) * xf[i];
  }
  return acc;
}

template <float (*RowDot)(int64_t, const uint8_t*, const uint8_t*)>
void gemm_rows(int64_t k, const uint8_t* w, size_t w_row_bytes, int num_w, const uint8_t* x,
               size_t x_row_bytes, int num_x, float* y, int64_t ldy) {
  for (int r = 0; r < num_x; ++r) {
    for (int c = 0; c < num_w; ++c) {
      y[r * ldy + c] = RowDot(k, w + c * w_row_bytes, x + r * x_row_bytes);
    }
  }
}

// ---- Vector primitives ----

float dot_f32(const float* a, const float* b, int64_t n) {
  float acc = 0.0f;
  for (int64_t i = 0; i < n; ++i) acc += a[i] * b[i];
  return acc;
}
float dot_f16_f32(const uint16_t* a, const float* b, int64_t n) {
  float acc = 0.0f;
  for (int64_t i = 0; i < n; ++i) acc += fp16_to_fp32(a[i]) * b[i];
  return acc;
}
void axpy_f32(float alpha, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}
void axpy_f16(float alpha, const uint16_t* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += alpha * fp16_to_fp32(x[i]);
}
void scale_f32(float alpha, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] *= alpha;
}

}  // namespace

void fill_kernels_scalar(KernelTable& t) {
  t.isa = IsaLevel::kScalar;
  t.f32 = {ActFormat::kF32, &gemm_rows<dot_f32_row>};
  t.f16 = {ActFormat::kF32, &gemm_rows<dot_half_row<fp16_to_fp32>>};
  t.bf16 = {ActFormat::kF32, &gemm_rows<dot_half_row<bf16_to_fp32>>};
  t.q4_0 = {ActFormat::kQ8x32, &gemm_rows<dot_q4_0_row>};
  t.q4_1 = {ActFormat::kQ8x32, &gemm_rows<dot_q4_1_row>};
  t.q8_0 = {ActFormat::kQ8x32, &gemm_rows<dot_q8_0_row>};
  t.q4_k = {ActFormat::kQ8K, &gemm_rows<dot_q4_k_row>};
  t.q5_k = {ActFormat::kQ8K, &gemm_rows<dot_q5_k_row>};
  t.q6_k = {ActFormat::kQ8K, &gemm_rows<dot_q6_k_row>};
  t.quantize_row_q8x32 = &quantize_row_q8x32_ref;
  t.quantize_row_q8k = &quantize_row_q8k_ref;
  t.fp16_to_fp32_row = &fp16_to_fp32_row;
  t.fp32_to_fp16_row = &fp32_to_fp16_row;
  t.bf16_to_fp32_row = &bf16_to_fp32_row;
  t.dot_f32 = &dot_f32;
  t.dot_f16_f32 = &dot_f16_f32;
  t.axpy_f32 = &axpy_f32;
  t.axpy_f16 = &axpy_f16;
  t.scale_f32 = &scale_f32;
  t.rmsnorm = &rmsnorm;
  t.silu_mul = &silu_mul;
  t.softmax = &softmax;
  t.add = &add;
}

}  // namespace asc::cpu
