// Helpers of the model-level CPU tests: the shared SmolLM2 model (loaded once per test binary;
// tests skip when the file is absent), backends, and single-sequence drivers over explicit blocks.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <numeric>
#include <span>
#include <string>
#include <vector>

#include "engine/cpu/cpu_backend.h"
#include "engine/cpu/cpu_features.h"
#include "engine/model/model_loader.h"

namespace asc::cpu::testing {

inline std::string smollm2_path() {
  return std::string(ASC_SOURCE_DIR) + "/models/SmolLM2-135M-Instruct.Q4_1.gguf";
}

/// The model, loaded on first use; nullptr when the file is absent (the test then skips).
inline const Model* smollm2() {
  static const std::unique_ptr<Model> model = []() -> std::unique_ptr<Model> {
    if (!std::filesystem::exists(smollm2_path())) return nullptr;
    StatusOr<std::unique_ptr<Model>> m = load_model(smollm2_path());
    if (!m.is_ok()) {
      ADD_FAILURE() << "loading " << smollm2_path() << ": " << m.status().to_string();
      return nullptr;
    }
    return std::move(*m);
  }();
  return model.get();
}

#define ASC_REQUIRE_SMOLLM2()                                                              \
  if (::asc::cpu::testing::smollm2() == nullptr)                                           \
  GTEST_SKIP() << "model file " << ::asc::cpu::testing::smollm2_path()                     \
               << " is absent (run scripts/fetch-models.sh)"

inline std::unique_ptr<CpuBackend> make_backend(const Model& model, int32_t num_blocks, int threads = 1) {
  CpuBackendOptions o;
  o.num_threads = threads;
  o.isa = best_isa(detect_cpu_features());
  o.kv_cache_bytes = static_cast<size_t>(num_blocks) * 2 * 2 * model.spec().num_layers *
                     model.spec().num_kv_heads * kKvBlockSize * model.spec().head_dim;
  StatusOr<std::unique_ptr<CpuBackend>> b = CpuBackend::create(model, o);
  EXPECT_TRUE(b.is_ok()) << b.status().to_string();
  return b.is_ok() ? std::move(*b) : nullptr;
}

/// Blocks first, first + 1, ... enough for n positions.
inline std::vector<int32_t> block_range(int32_t first, int32_t num_positions) {
  std::vector<int32_t> blocks(static_cast<size_t>((num_positions + kKvBlockSize - 1) / kKvBlockSize));
  std::iota(blocks.begin(), blocks.end(), first);
  return blocks;
}

/// One row over tokens[start, start + n) of a sequence.
inline StepRow make_row(const std::vector<int32_t>& tokens, int32_t start, int32_t n,
                        std::span<const int32_t> blocks, bool sample, int32_t num_generated = 0) {
  StepRow row;
  row.start_pos = start;
  row.num_tokens = n;
  row.tokens = std::span<const int32_t>(tokens).subspan(static_cast<size_t>(start), static_cast<size_t>(n));
  row.block_table = blocks;
  row.is_prefill = n > 1;
  row.sample = sample;
  row.num_generated = num_generated;
  return row;
}

/// Prefills the whole sequence in chunks; returns the logits after its last token.
inline std::vector<float> prefill_logits(CpuBackend& b, const std::vector<int32_t>& tokens, int32_t chunk,
                                         std::span<const int32_t> blocks) {
  const auto n = static_cast<int32_t>(tokens.size());
  for (int32_t start = 0; start < n; start += chunk) {
    const int32_t len = std::min(chunk, n - start);
    StepPlan plan;
    plan.rows.push_back(make_row(tokens, start, len, blocks, start + len == n));
    StatusOr<StepResult> r = b.execute(plan);
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
  }
  return std::vector<float>(b.last_logits().begin(), b.last_logits().end());
}

/// Greedy continuation: prefills seq (whole) then appends n greedy tokens to it.
inline void greedy_extend(CpuBackend& b, std::vector<int32_t>& seq, int32_t prefilled, int32_t n,
                          std::span<const int32_t> blocks) {
  for (int32_t i = 0; i < n; ++i) {
    StepPlan plan;
    const auto len = static_cast<int32_t>(seq.size()) - prefilled;
    plan.rows.push_back(make_row(seq, prefilled, len, blocks, true, i));
    StatusOr<StepResult> r = b.execute(plan);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    prefilled = static_cast<int32_t>(seq.size());
    seq.push_back(r->tokens[0]);
  }
}

inline float max_abs_diff(std::span<const float> a, std::span<const float> b) {
  EXPECT_EQ(a.size(), b.size());
  float m = 0.0f;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) m = std::max(m, std::fabs(a[i] - b[i]));
  return m;
}

}  // namespace asc::cpu::testing
