// Built-in GPU profiles: analytic roofline constants, and a PerfModel fitted to the roofline over a
// grid of batches (the same fitting code as a measured profile).
//
// Constants and where they come from:
//   A100-SXM4-80GB: 312 TFLOP/s dense bf16, 2.039 TB/s HBM2e (NVIDIA datasheet).
//   H100-SXM5-80GB: 989 TFLOP/s dense bf16, 3.35 TB/s HBM3 (NVIDIA datasheet).
//   mfu 0.6 (A100) / 0.5 (H100): typical large-GEMM efficiency in prefill of 7-8B models.
//   mbu 0.8: typical achieved HBM bandwidth of decode GEMV + paged attention.
//   overhead 8 ms and 0.22 ms per sequence (both profiles): host scheduling, sampling and launch
//   costs of a Python engine, fitted by least squares to decode iterations the Ascendra authors
//   measured on an A100 with Llama-3.1-8B (PaceServe's regression_weights/llama/decode.csv): 20,
//   107, 128 and 143 sequences at 35K-372K context tokens took 25.6, 64.3, 74.7 and 80.4 ms; the
//   roofline predicts each within 3% (tests/core/perf_model_test.cpp checks 8%). These are the
//   engine's costs, not the GPU's, so the H100 profile uses the same.
//   KV pool: 90% of memory minus the weights, as vLLM's gpu_memory_utilization default.
#include "engine/core/gpu_profiles.h"

#include <algorithm>
#include <cmath>

namespace asc {
namespace {

GpuSpec a100_spec() {
  return {"a100-80gb", 312e12, 0.6, 2.039e12, 0.8, 8e-3, 0.22e-3, 80e9, 0.9};
}

GpuSpec h100_spec() {
  return {"h100-80gb", 989e12, 0.5, 3.35e12, 0.8, 8e-3, 0.22e-3, 80e9, 0.9};
}

// Grid of prefill-only, decode-only and mixed batches covering the simulated range.
std::vector<BatchShape> profile_grid() {
  std::vector<BatchShape> grid;
  for (int32_t n : {16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192}) {
    for (int32_t ctx : {0, 512, 2048, 6144}) {
      for (int32_t rows : {1, 2, 4}) {
        BatchShape s;
        const int32_t per = std::max(1, n / rows);
        for (int32_t r = 0; r < rows; ++r) s.add_prefill(ctx, per, ctx == 0);
        grid.push_back(s);
      }
    }
  }
  for (int32_t b : {1, 2, 4, 8, 16, 24, 32, 48, 64, 96, 128, 192, 256}) {
    for (int32_t ctx : {64, 256, 1024, 2048, 4096, 8192}) {
      BatchShape s;
      for (int32_t r = 0; r < b; ++r) s.add_decode(ctx * (r % 3 + 1) / 2);
      grid.push_back(s);
    }
  }
  for (int32_t chunk : {32, 128, 256, 512, 1024}) {
    for (int32_t b : {1, 8, 32, 64, 128}) {
      for (int32_t ctx : {256, 2048, 6144}) {
        BatchShape s;
        s.add_prefill(ctx / 2, chunk, true);
        for (int32_t r = 0; r < b; ++r) s.add_decode(ctx);
        grid.push_back(s);
      }
    }
  }
  // Mixed batches of whole prompts joining running decodes: what prefill-first policies with a
  // token budget (the Ascendra LP pool) form. Without them the mixed fit, learnt from one small
  // chunk, extrapolates to these and charges them less than their prefill alone.
  for (int32_t tokens : {1024, 2048, 4096, 8192}) {
    for (int32_t rows : {1, 2, 4, 8}) {
      for (int32_t b : {8, 32, 64, 128}) {
        for (int32_t ctx : {512, 2048, 6144}) {
          BatchShape s;
          for (int32_t r = 0; r < rows; ++r) s.add_prefill(0, tokens / rows, true);
          for (int32_t r = 0; r < b; ++r) s.add_decode(ctx);
          grid.push_back(s);
        }
      }
    }
  }
  return grid;
}

StatusOr<PerfModel> fit_roofline(const GpuSpec& gpu, const ModelShape& model, const std::string& name) {
  std::vector<PerfSample> samples;
  for (const BatchShape& s : profile_grid()) samples.push_back({s, roofline_time_s(gpu, model, s)});
  PerfModel m(model);
  m.device = name + " (analytic roofline)";
  const double full_weights = (model.layer_params() * model.num_layers + 2.0 * model.hidden * model.vocab) *
                              model.weight_bytes_per_param;
  const double kv_bytes = gpu.memory_bytes * gpu.kv_memory_fraction - full_weights;
  m.num_kv_blocks = static_cast<int32_t>(kv_bytes / (model.kv_bytes_per_token() * kKvBlockSize));
  ASC_RETURN_IF_ERROR(m.fit(samples));
  return m;
}

}  // namespace

StatusOr<std::function<double(const BatchShape&)>> builtin_roofline(const std::string& name) {
  GpuSpec gpu;
  if (name == "a100-llama-3.1-8b") gpu = a100_spec();
  else if (name == "h100-llama-3.1-8b") gpu = h100_spec();
  else return not_found("unknown built-in profile '" + name + "'");
  const ModelShape model = llama_3_1_8b_shape();
  return std::function<double(const BatchShape&)>(
      [gpu, model](const BatchShape& shape) { return shape.empty() ? 0.0 : roofline_time_s(gpu, model, shape); });
}

ModelShape llama_3_1_8b_shape() {
  ModelShape m;
  m.name = "llama-3.1-8b";
  m.hidden = 4096;
  m.ffn = 14336;
  m.num_layers = 32;
  m.num_heads = 32;
  m.num_kv_heads = 8;
  m.head_dim = 128;
  m.vocab = 128256;
  m.weight_bytes_per_param = 2.0;
  m.kv_bytes_per_elem = 2.0;
  return m;
}

double roofline_time_s(const GpuSpec& gpu, const ModelShape& model, const BatchShape& shape) {
  const double layers = model.num_layers;
  const double flops = 2.0 * model.layer_params() * layers * shape.num_tokens() +
                       2.0 * static_cast<double>(model.hidden) * model.vocab * shape.num_sampled +
                       4.0 * model.num_heads * model.head_dim * layers *
                           (shape.prefill_attn_pairs + shape.decode_kv_tokens);
  const double bytes = model.weight_bytes() +
                       model.kv_bytes_per_token() * (shape.prefill_kv_tokens + shape.decode_kv_tokens);
  const double rows = shape.num_prefill_rows + shape.num_decodes;
  return gpu.overhead_s + gpu.per_row_s * rows +
         std::max(flops / (gpu.peak_flops * gpu.mfu), bytes / (gpu.mem_bw_bytes_s * gpu.mbu));
}

std::vector<std::string> builtin_profile_names() { return {"a100-llama-3.1-8b", "h100-llama-3.1-8b"}; }

StatusOr<PerfModel> builtin_profile(const std::string& name) {
  if (name == "a100-llama-3.1-8b") return fit_roofline(a100_spec(), llama_3_1_8b_shape(), name);
  if (name == "h100-llama-3.1-8b") return fit_roofline(h100_spec(), llama_3_1_8b_shape(), name);
  return not_found("unknown built-in profile '" + name + "'");
}

}  // namespace asc
