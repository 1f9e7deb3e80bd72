// Built-in GPU performance profiles for simulation: an analytic roofline of a named GPU and model,
// fitted into a PerfModel exactly like a measured CPU profile.
//
// iteration time = overhead_s + per_row_s * rows + max(FLOPs / (peak * mfu), bytes / (bw * mbu))
// with bytes = weights read once + KV read. Constants (documented in gpu_profiles.cpp) are
// calibrated on published measurements: A100, Llama-3.1-8B, decode iterations of 20-143 sequences
// at 35K-372K context tokens took 25.6-80.4 ms.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "engine/core/perf_model.h"

namespace asc {

struct GpuSpec {
  std::string name;
  double peak_flops = 0.0;        // dense bf16 FLOP/s
  double mfu = 0.0;               // achieved fraction of peak in GEMMs
  double mem_bw_bytes_s = 0.0;    // HBM bytes/s
  double mbu = 0.0;               // achieved fraction of bandwidth
  double overhead_s = 0.0;        // host/launch overhead per iteration
  double per_row_s = 0.0;         // per-sequence overhead per iteration
  double memory_bytes = 0.0;      // device memory
  double kv_memory_fraction = 0.9;  // share of memory usable for weights + KV (vLLM's default)
};

/// Roofline time of one iteration (seconds).
double roofline_time_s(const GpuSpec& gpu, const ModelShape& model, const BatchShape& shape);

/// Names of the built-in profiles ("a100-llama-3.1-8b", "h100-llama-3.1-8b").
std::vector<std::string> builtin_profile_names();
/// The fitted model of a built-in profile; kNotFound for an unknown name.
StatusOr<PerfModel> builtin_profile(const std::string& name);
/// The analytic roofline of a built-in profile as an iteration-time function: the simulator's
/// ground truth, which the fitted PerfModel (what schedulers predict with) only approximates.
/// kNotFound for an unknown name.
StatusOr<std::function<double(const BatchShape&)>> builtin_roofline(const std::string& name);

/// Llama-3.1-8B shapes (bf16 weights and KV).
ModelShape llama_3_1_8b_shape();

}  // namespace asc
