// Dot-product kernels between weight rows (any supported DType) and activation rows, one set per
// ISA in its own translation unit: vec_dot_scalar.cpp (reference), vec_dot_avx2.cpp,
// vec_dot_avx512.cpp (AVX-512 F/BW/VL + VNNI). Each unit fills the entries it implements into a
// KernelTable; entries it does not implement keep the previous (lower-ISA) kernel.
#pragma once

#include <cstddef>
#include <cstdint>

namespace asc::cpu {

struct KernelTable;

/// The activation format a weight type's kernel consumes (see quant.h).
enum class ActFormat { kF32, kQ8x32, kQ8K };

/// Tile of dot products: y[r * ldy + c] = dot(weight row c, activation row r) for c in [0, num_w),
/// r in [0, num_x). Weight rows are w + c * w_row_bytes (k elements in the weight's DType);
/// activation rows are x + r * x_row_bytes (k elements in the ActFormat of the weight type).
/// Any num_w >= 1 and num_x >= 1; kernels reuse each unpacked weight block across up to 4 activation
/// rows, so callers should pass a cache-sized block of both (matmul.cpp does). Accumulates in fp32.
using GemmTileFn = void (*)(int64_t k, const uint8_t* w, size_t w_row_bytes, int num_w,
                            const uint8_t* x, size_t x_row_bytes, int num_x, float* y, int64_t ldy);

/// Fills every entry of `table` with the portable scalar reference kernels.
void fill_kernels_scalar(KernelTable& table);
/// Overwrites the entries implemented with AVX2 + FMA + F16C.
void fill_kernels_avx2(KernelTable& table);
/// Overwrites the entries implemented with AVX-512 F/BW/VL + VNNI.
void fill_kernels_avx512(KernelTable& table);

// Parts of the per-ISA fills that live in their own translation units (called by the fills above).
void fill_elementwise_avx2(KernelTable& table);    // elementwise_avx2.cpp
void fill_elementwise_avx512(KernelTable& table);  // elementwise_avx512.cpp

}  // namespace asc::cpu
