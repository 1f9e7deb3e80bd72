// Scalar reference kernels: the oracle every SIMD kernel is tested against, and the fallback on
// CPUs without AVX2. Integer dot products are computed exactly per block, then scaled in fp32, in
// the same order of operations as the SIMD kernels (so they agree to rounding).
#include <cstring>

#include "engine/cpu/elementwise.h"
#include "engine/cpu/fp16.h"
#include "engine/cpu/kernel_table.h"
#include "engine/cpu/quant.h"
#include "engine/cpu/vec_dot.h"

namespace asc::cpu {

namespace {

// ---- Row dot products: weight row (DType) x activation row (ActFormat) ----

float dot_q4_0_row(int64_t k, const uint8_t* w, const uint8_t* x) {
  const BlockQ4_0* b = reinterpret_cast<const BlockQ4_0*>(w);
  const int8_t* qs = q8x32_qs(x);
  const float* dvec = q8x32_dvec(x, k);
  const float* svec = q8x32_svec(x, k);
  float acc = 0.0f;
  for (int64_t i = 0; i < k / kQk; ++i) {
    int isum = 0;
    for (int j = 0; j < kQk / 2; ++j) {
      isum += (b[i].qs[j] & 0xF) * qs[i * kQk + j] + (b[i].qs[j] >> 4) * qs[i * kQk + j + 16];
    }
    const float d = fp16_to_fp32(b[i].d);
    acc += static_cast<float>(isum) * dvec[i * 8] * d + (-8.0f * d) * svec[i * 8];
  }
  return acc;
}

float dot_q4_1_row(int64_t k, const uint8_t* w, const uint8_t* x) {
  const BlockQ4_1* b = reinterpret_cast<const BlockQ4_1*>(w);
  const int8_t* qs = q8x32_qs(x);
  const float* dvec = q8x32_dvec(x, k);
  const float* svec = q8x32_svec(x, k);
  float acc = 0.0f;
  for (int64_t i = 0; i < k / kQk; ++i) {
    int isum = 0;
    for (int j = 0; j < kQk / 2; ++j) {
      isum += (b[i].qs[j] & 0xF) * qs[i * kQk + j] + (b[i].qs[j] >> 4) * qs[i * kQk + j + 16];
    }
    acc += static_cast<float>(isum) * dvec[i * 8] * fp16_to_fp32(b[i].d) +
           fp16_to_fp32(b[i].m) * svec[i * 8];
  }
  return acc;
}

float dot_q8_0_row(int64_t k, const uint8_t* w, const uint8_t* x) {
  const BlockQ8_0* b = reinterpret_cast<const BlockQ8_0*>(w);
  const int8_t* qs = q8x32_qs(x);
  const float* dvec = q8x32_dvec(x, k);
  float acc = 0.0f;
  for (int64_t i = 0; i < k / kQk; ++i) {
    int isum = 0;
    for (int j = 0; j < kQk; ++j) isum += b[i].qs[j] * qs[i * kQk + j];
    acc += static_cast<float>(isum) * dvec[i * 8] * fp16_to_fp32(b[i].d);
  }
  return acc;
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
