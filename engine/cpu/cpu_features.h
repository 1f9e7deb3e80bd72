// CPU feature detection and the choice of SIMD level for the kernel table.
//
// Detection uses __builtin_cpu_supports (CPUID plus the OS's XSAVE state). The level is chosen once
// at start-up by the caller and passed down explicitly; nothing here is cached in a global.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace asc::cpu {

/// SIMD levels with their own kernel translation units. kAvx512 means F+BW+VL+VNNI (plus AVX2/FMA/F16C).
enum class IsaLevel { kScalar = 0, kAvx2 = 1, kAvx512 = 2 };

struct CpuFeatures {
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512vnni = false;
  bool avx512bf16 = false;
};

/// Features of the CPU this process runs on.
CpuFeatures detect_cpu_features();

/// True when the features are enough to run the kernels of `level`.
bool isa_supported(const CpuFeatures& features, IsaLevel level);

/// The best level the features support, lowered (never raised) by the environment variable
/// ASCENDRA_ISA=scalar|avx2|avx512 when set to a valid name.
IsaLevel best_isa(const CpuFeatures& features);

/// Same as best_isa with the override given explicitly (nullptr or "" means none).
IsaLevel best_isa(const CpuFeatures& features, const char* override_name);

/// "scalar", "avx2" or "avx512".
const char* isa_name(IsaLevel level);

/// Parses an isa_name() string; nullopt for anything else.
std::optional<IsaLevel> parse_isa(std::string_view name);

/// One line for logs, e.g. "avx2 fma f16c avx512f avx512bw avx512vl avx512vnni".
std::string describe(const CpuFeatures& features);

}  // namespace asc::cpu
