#include "engine/cpu/backend_factory.h"

#include "engine/cpu/cpu_features.h"

namespace asc::cpu {

StatusOr<std::unique_ptr<CpuBackend>> make_cpu_backend(const Model& model, int num_threads,
                                                       size_t kv_cache_bytes,
                                                       int32_t max_batch_tokens) {
  CpuBackendOptions options;
  options.num_threads = num_threads;
  options.kv_cache_bytes = kv_cache_bytes;
  options.max_batch_tokens = max_batch_tokens;
  options.isa = best_isa(detect_cpu_features());
  return CpuBackend::create(model, options);
}

}  // namespace asc::cpu
