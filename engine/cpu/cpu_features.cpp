// CPU feature detection through the compiler's CPUID wrapper and the ISA-level choice.
#include "engine/cpu/cpu_features.h"

#include <cstdlib>

namespace asc::cpu {

CpuFeatures detect_cpu_features() {
  CpuFeatures f;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  f.avx2 = __builtin_cpu_supports("avx2");
  f.fma = __builtin_cpu_supports("fma");
  f.f16c = __builtin_cpu_supports("f16c");
  f.avx512f = __builtin_cpu_supports("avx512f");
  f.avx512bw = __builtin_cpu_supports("avx512bw");
  f.avx512vl = __builtin_cpu_supports("avx512vl");
  f.avx512vnni = __builtin_cpu_supports("avx512vnni");
  f.avx512bf16 = __builtin_cpu_supports("avx512bf16");
#endif
  return f;
}

bool isa_supported(const CpuFeatures& f, IsaLevel level) {
  const bool avx2 = f.avx2 && f.fma && f.f16c;
  switch (level) {
    case IsaLevel::kScalar: return true;
    case IsaLevel::kAvx2: return avx2;
    case IsaLevel::kAvx512: return avx2 && f.avx512f && f.avx512bw && f.avx512vl && f.avx512vnni;
  }
  return false;
}

IsaLevel best_isa(const CpuFeatures& features, const char* override_name) {
  IsaLevel best = IsaLevel::kScalar;
  if (isa_supported(features, IsaLevel::kAvx512)) {
    best = IsaLevel::kAvx512;
  } else if (isa_supported(features, IsaLevel::kAvx2)) {
    best = IsaLevel::kAvx2;
  }
  if (override_name != nullptr && *override_name != '\0') {
    const std::optional<IsaLevel> wanted = parse_isa(override_name);
    // The override can only lower the level: asking for more than the CPU has would fault.
    if (wanted && static_cast<int>(*wanted) < static_cast<int>(best)) best = *wanted;
  }
  return best;
}

IsaLevel best_isa(const CpuFeatures& features) {
  return best_isa(features, std::getenv("ASCENDRA_ISA"));
}

const char* isa_name(IsaLevel level) {
  switch (level) {
    case IsaLevel::kScalar: return "scalar";
    case IsaLevel::kAvx2: return "avx2";
    case IsaLevel::kAvx512: return "avx512";
  }
  return "unknown";
}

std::optional<IsaLevel> parse_isa(std::string_view name) {
  if (name == "scalar") return IsaLevel::kScalar;
  if (name == "avx2") return IsaLevel::kAvx2;
  if (name == "avx512") return IsaLevel::kAvx512;
  return std::nullopt;
}

std::string describe(const CpuFeatures& f) {
  std::string out;
  auto add = [&out](bool on, const char* name) {
    if (!on) return;
    if (!out.empty()) out += ' ';
    out += name;
  };
  add(f.avx2, "avx2");
  add(f.fma, "fma");
  add(f.f16c, "f16c");
  add(f.avx512f, "avx512f");
  add(f.avx512bw, "avx512bw");
  add(f.avx512vl, "avx512vl");
  add(f.avx512vnni, "avx512vnni");
  add(f.avx512bf16, "avx512bf16");
  return out.empty() ? std::string("none") : out;
}

}  // namespace asc::cpu
