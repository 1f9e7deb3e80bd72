#include "engine/model/tensor.h"

#include "engine/core/status.h"

namespace asc {

namespace {
// Block layouts (bytes): Q4_0 = f16 d + 16 nibbles; Q4_1 = f16 d, f16 m + 16; Q8_0 = f16 d + 32;
// Q4_K = 2 f16 + 12 scale bytes + 128; Q5_K = 2 f16 + 12 + 32 high bits + 128;
// Q6_K = 128 low + 64 high + 16 scales + f16 d.
constexpr DTypeTraits kF32Traits{"F32", 1, 4};
constexpr DTypeTraits kF16Traits{"F16", 1, 2};
constexpr DTypeTraits kBF16Traits{"BF16", 1, 2};
constexpr DTypeTraits kQ4_0Traits{"Q4_0", 32, 18};
constexpr DTypeTraits kQ4_1Traits{"Q4_1", 32, 20};
constexpr DTypeTraits kQ8_0Traits{"Q8_0", 32, 34};
constexpr DTypeTraits kQ4_KTraits{"Q4_K", 256, 144};
constexpr DTypeTraits kQ5_KTraits{"Q5_K", 256, 176};
constexpr DTypeTraits kQ6_KTraits{"Q6_K", 256, 210};
}  // namespace

const DTypeTraits* dtype_traits(uint32_t raw_type) {
  switch (static_cast<DType>(raw_type)) {
    case DType::kF32: return &kF32Traits;
    case DType::kF16: return &kF16Traits;
    case DType::kBF16: return &kBF16Traits;
    case DType::kQ4_0: return &kQ4_0Traits;
    case DType::kQ4_1: return &kQ4_1Traits;
    case DType::kQ8_0: return &kQ8_0Traits;
    case DType::kQ4_K: return &kQ4_KTraits;
    case DType::kQ5_K: return &kQ5_KTraits;
    case DType::kQ6_K: return &kQ6_KTraits;
  }
  return nullptr;
}

const char* dtype_name(DType type) {
  const DTypeTraits* t = dtype_traits(static_cast<uint32_t>(type));
  return t ? t->name : "UNKNOWN";
}

size_t dtype_row_bytes(DType type, int64_t n) {
  const DTypeTraits* t = dtype_traits(static_cast<uint32_t>(type));
  ASC_CHECK(t != nullptr);
  ASC_CHECK(n % t->block_elems == 0);
  return static_cast<size_t>(n / t->block_elems) * static_cast<size_t>(t->block_bytes);
}

}  // namespace asc
