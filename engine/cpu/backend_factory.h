// make_cpu_backend: the one place that picks the CPU kernel level for a new CPU backend instance.
#pragma once

#include <cstddef>
#include <memory>

#include "engine/core/status.h"
#include "engine/cpu/cpu_backend.h"
#include "engine/model/model_loader.h"

namespace asc::cpu {

/// A CPU backend over `model` with its own pool of num_threads threads and a KV cache of
/// kv_cache_bytes, using the best SIMD level of this CPU (ASCENDRA_ISA may lower it).
/// max_batch_tokens sizes the scratch (larger steps still run; the scratch grows).
StatusOr<std::unique_ptr<CpuBackend>> make_cpu_backend(const Model& model, int num_threads,
                                                       size_t kv_cache_bytes,
                                                       int32_t max_batch_tokens = 512);

}  // namespace asc::cpu
