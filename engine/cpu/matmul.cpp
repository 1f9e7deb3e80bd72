// Matmul driver: quantizes activations once, then splits the output rows (weight rows) over the
// thread pool in contiguous ranges and walks each range in cache blocks:
//   for each block of kXBlock activation rows     (~100 KB of Q8 activations, stays in L2)
//     for each block of kWBlock weight rows        (~10-20 KB of weights, stays in L1/L2)
//       gemm tile (the kernel reuses each unpacked weight block across 4 activation rows)
// Decode (m = 1) degenerates to a matrix-vector product split over threads by rows.
#include "engine/cpu/matmul.h"

#include <algorithm>

#include "engine/core/status.h"

namespace asc::cpu {

namespace {
constexpr int64_t kXBlock = 64;      // activation rows per cache block
constexpr int64_t kWBlock = 32;      // weight rows per cache block
constexpr int64_t kRowGrain = 16;    // weight rows: split points between threads are multiples
constexpr int kPartsPerThread = 4;   // ranges per thread, claimed dynamically (load balance)
constexpr size_t kAlign = 64;

size_t round_up(size_t v, size_t a) { return (v + a - 1) / a * a; }
}  // namespace

uint8_t* MatmulScratch::reserve(size_t bytes) {
  if (bytes > capacity_ || aligned_ == nullptr) {
    const size_t cap = std::max(bytes, capacity_ + capacity_ / 2);
    storage_ = std::make_unique<uint8_t[]>(cap + kAlign);
    const auto addr = reinterpret_cast<uintptr_t>(storage_.get());
    aligned_ = storage_.get() + (round_up(addr, kAlign) - addr);
    capacity_ = cap;
  }
  return aligned_;
}

bool matmul_supported(DType type) { return is_supported_weight_type(type); }

void prepare_activations(ThreadPool& pool, const KernelTable& kt, DType weight_type,
                         const float* x, int64_t m, int64_t k, MatmulScratch& scratch) {
  const WeightKernel* kernel = weight_kernel(kt, weight_type);
  ASC_CHECK(kernel != nullptr);
  scratch.format = kernel->act;
  scratch.rows = m;
  scratch.cols = k;
  switch (kernel->act) {
    case ActFormat::kF32:
      scratch.row_bytes = static_cast<size_t>(k) * sizeof(float);
      scratch.data = reinterpret_cast<const uint8_t*>(x);
      return;
    case ActFormat::kQ8x32: {
      ASC_CHECK(k % kQk == 0);
      const size_t row_bytes = round_up(q8x32_row_bytes(k), kAlign);
      uint8_t* out = scratch.reserve(row_bytes * static_cast<size_t>(m));
      scratch.row_bytes = row_bytes;
      scratch.data = out;
      auto quantize = kt.quantize_row_q8x32;
      pool.parallel_for(m, [&](int64_t begin, int64_t end, int) {
        for (int64_t r = begin; r < end; ++r) quantize(x + r * k, k, out + r * row_bytes);
      });
      return;
    }
    case ActFormat::kQ8K: {
      ASC_CHECK(k % kQkK == 0);
      const size_t row_bytes = static_cast<size_t>(k / kQkK) * sizeof(BlockQ8K);
      uint8_t* out = scratch.reserve(row_bytes * static_cast<size_t>(m));
      scratch.row_bytes = row_bytes;
      scratch.data = out;
      auto quantize = kt.quantize_row_q8k;
      pool.parallel_for(m, [&](int64_t begin, int64_t end, int) {
        for (int64_t r = begin; r < end; ++r) {
          quantize(x + r * k, k, reinterpret_cast<BlockQ8K*>(out + r * row_bytes));
        }
      });
      return;
    }
  }
}

void matmul_prepared(ThreadPool& pool, const KernelTable& kt, const TensorView& w,
                     const MatmulScratch& scratch, float* y, int64_t ldy) {
  const WeightKernel* kernel = weight_kernel(kt, w.type);
  ASC_CHECK(kernel != nullptr && kernel->act == scratch.format);
  const int64_t k = w.row_elems();
  const int64_t n = w.num_rows();
  const int64_t m = scratch.rows;
  ASC_CHECK(k == scratch.cols && ldy >= n);
  const size_t w_row_bytes = w.row_bytes();
  const size_t x_row_bytes = scratch.row_bytes;
  const uint8_t* x = scratch.data;
  const GemmTileFn gemm = kernel->gemm;
  pool.parallel_for_chunked(n, kRowGrain, [&](int64_t c_begin, int64_t c_end, int) {
    for (int64_t r0 = 0; r0 < m; r0 += kXBlock) {
      const int nr = static_cast<int>(std::min(kXBlock, m - r0));
      for (int64_t c0 = c_begin; c0 < c_end; c0 += kWBlock) {
        const int nc = static_cast<int>(std::min(kWBlock, c_end - c0));
        gemm(k, w.data + c0 * w_row_bytes, w_row_bytes, nc, x + r0 * x_row_bytes, x_row_bytes, nr,
             y + r0 * ldy + c0, ldy);
      }
    }
  }, pool.num_threads() * kPartsPerThread);
}

void matmul(ThreadPool& pool, const KernelTable& kt, const TensorView& w, const float* x,
            int64_t m, float* y, MatmulScratch& scratch) {
  prepare_activations(pool, kt, w.type, x, m, w.row_elems(), scratch);
  matmul_prepared(pool, kt, w, scratch, y, w.num_rows());
}

}  // namespace asc::cpu
