// `ascendra --version`: the version, the backends compiled in, and the SIMD levels compiled and
// detected on this CPU (the level the CPU backend will use, after any ASCENDRA_ISA override).
#include <cstdio>

#include "engine/app/commands.h"
#include "engine/cpu/cpu_features.h"

#ifndef ASCENDRA_VERSION
#define ASCENDRA_VERSION "unknown"
#endif

namespace asc::app {

void print_version() {
  std::printf("ascendra %s\n", ASCENDRA_VERSION);
#if defined(ASCENDRA_HAVE_CUDA)
  std::printf("backends: cpu cuda\n");
#else
  std::printf("backends: cpu\n");
#endif
#if defined(__x86_64__) || defined(_M_X64)
  std::printf("simd compiled: scalar avx2 avx512\n");
#else
  std::printf("simd compiled: scalar\n");
#endif
  const cpu::CpuFeatures features = cpu::detect_cpu_features();
  std::printf("simd detected: %s\n", cpu::describe(features).c_str());
  std::printf("simd in use: %s\n", cpu::isa_name(cpu::best_isa(features)));
}

}  // namespace asc::app
