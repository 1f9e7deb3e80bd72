// Tensor element types and non-owning views of weights inside a memory-mapped model file.
//
// Shapes use GGUF order: shape[0] is the innermost (contiguous) dimension. A weight matrix used as
// y = W x has shape {in_features, out_features}: each of the out_features rows is in_features
// elements long, quantized in blocks along the row.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace asc {

/// Element types; the numeric values are GGUF's (ggml_type) so files map directly.
enum class DType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ8_0 = 8,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kBF16 = 30,
};

/// Layout facts of a type: elements per block and bytes per block.
struct DTypeTraits {
  const char* name;
  int32_t block_elems;   // 1 for float types, 32 for Q*_0/Q*_1, 256 for K-quants
  int32_t block_bytes;
};

/// Traits of a supported type, or nullptr for a value outside the enum (unsupported in a file).
const DTypeTraits* dtype_traits(uint32_t raw_type);
const char* dtype_name(DType type);

/// Bytes of a row of n elements; n must be a multiple of the block size.
size_t dtype_row_bytes(DType type, int64_t n);

/// A view of one tensor. The data is owned by the model file mapping (or a test buffer).
struct TensorView {
  std::string name;
  DType type = DType::kF32;
  int32_t num_dims = 0;
  std::array<int64_t, 4> shape{1, 1, 1, 1};  // GGUF order, unused dims are 1
  const uint8_t* data = nullptr;
  size_t size_bytes = 0;

  int64_t num_elements() const { return shape[0] * shape[1] * shape[2] * shape[3]; }
  int64_t row_elems() const { return shape[0]; }
  int64_t num_rows() const { return shape[1] * shape[2] * shape[3]; }
  size_t row_bytes() const { return dtype_row_bytes(type, shape[0]); }
  const uint8_t* row(int64_t i) const { return data + static_cast<size_t>(i) * row_bytes(); }
};

}  // namespace asc
