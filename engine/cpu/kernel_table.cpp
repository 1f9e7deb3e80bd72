// Builds one immutable KernelTable per ISA level on first use: the scalar entries first, then each
// higher level overwrites what it implements. A level's table is only built when asked for, so the
// fill functions of an ISA the CPU lacks (compiled with that ISA's flags) never run.
#include "engine/cpu/kernel_table.h"

namespace asc::cpu {

namespace {
KernelTable build_table(IsaLevel isa) {
  KernelTable table;
  fill_kernels_scalar(table);
  if (isa == IsaLevel::kAvx2 || isa == IsaLevel::kAvx512) fill_kernels_avx2(table);
  if (isa == IsaLevel::kAvx512) fill_kernels_avx512(table);
  table.isa = isa;
  return table;
}
}  // namespace

const KernelTable& kernel_table(IsaLevel isa) {
  switch (isa) {
    case IsaLevel::kAvx2: {
      static const KernelTable avx2 = build_table(IsaLevel::kAvx2);
      return avx2;
    }
    case IsaLevel::kAvx512: {
      static const KernelTable avx512 = build_table(IsaLevel::kAvx512);
      return avx512;
    }
    case IsaLevel::kScalar:
      break;
  }
  static const KernelTable scalar = build_table(IsaLevel::kScalar);
  return scalar;
}

const WeightKernel* weight_kernel(const KernelTable& t, DType type) {
  switch (type) {
    case DType::kF32: return &t.f32;
    case DType::kF16: return &t.f16;
    case DType::kBF16: return &t.bf16;
    case DType::kQ4_0: return &t.q4_0;
    case DType::kQ4_1: return &t.q4_1;
    case DType::kQ8_0: return &t.q8_0;
    case DType::kQ4_K: return &t.q4_k;
    case DType::kQ5_K: return &t.q5_k;
    case DType::kQ6_K: return &t.q6_k;
  }
  return nullptr;
}

}  // namespace asc::cpu
