// `ascendra profile` pieces shared with tests: the feature shapes of a loaded model, and a profile
// of the CPU backend.
#pragma once

#include <cstddef>
#include <string>

#include "engine/core/perf_model.h"
#include "engine/core/profiler.h"
#include "engine/model/model_loader.h"

namespace asc::app {

/// PerfModel shapes of a loaded model; weight bytes per parameter from the file size.
ModelShape model_shape_of(const Model& model);

/// Profiles a CPU backend over `model` with `num_threads` threads and a KV cache of kv_cache_bytes.
StatusOr<ProfileResult> profile_cpu_model(const Model& model, int num_threads, size_t kv_cache_bytes,
                                          const ProfileGrid& grid);

}  // namespace asc::app
