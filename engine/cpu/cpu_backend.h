// CpuBackend: the Backend that runs steps on the CPU.
//
// One CpuBackend per engine instance. Instances share the memory-mapped Model (one copy of the
// weights in the page cache); each owns its ThreadPool (its share of the cores), its KvStorage and
// its forward-pass scratch. execute() does the plan's block copies, one forward pass over all rows,
// then samples each sampling row with the stateless sampler. It reads the wall clock to report the
// step's duration: backends are not part of the decision core.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/core/backend.h"
#include "engine/cpu/kernel_table.h"
#include "engine/cpu/kv_storage.h"
#include "engine/cpu/llama_forward.h"
#include "engine/cpu/sampler.h"
#include "engine/cpu/thread_pool.h"
#include "engine/model/model_loader.h"

namespace asc::cpu {

struct CpuBackendOptions {
  int num_threads = 1;                      // threads of this instance's pool, caller included
  size_t kv_cache_bytes = 64ull << 20;      // KV storage budget (rounded down to whole blocks)
  int32_t max_batch_tokens = 512;           // scratch sized for this many tokens per step
  IsaLevel isa = IsaLevel::kScalar;         // kernel level (callers pass best_isa(...))
};

class CpuBackend final : public Backend {
 public:
  /// UNIMPLEMENTED when a weight type or the model's shape is not supported by the CPU kernels.
  static StatusOr<std::unique_ptr<CpuBackend>> create(const Model& model, const CpuBackendOptions& options);

  StatusOr<StepResult> execute(const StepPlan& plan) override;
  int32_t num_kv_blocks() const override { return kv_.num_blocks(); }
  std::string name() const override { return "cpu"; }
  size_t kv_block_bytes() const override { return kv_.block_bytes(); }
  /// The Q4/Q8 gemm micro-tile of the kernel level (vec_dot_avx2.cpp: 4 rows; vec_dot_avx512.cpp: 8
  /// rows, then 4); the scalar kernels have none.
  int32_t weight_tile_rows() const override {
    return kernels_->isa == IsaLevel::kAvx512 ? 8 : (kernels_->isa == IsaLevel::kAvx2 ? 4 : 0);
  }
  Status export_kv_blocks(std::span<const int32_t> blocks, std::vector<uint8_t>& out) override;
  Status import_kv_blocks(std::span<const int32_t> blocks, std::span<const uint8_t> data) override;

  /// Assembles a backend from its parts (create() builds them; use that).
  CpuBackend(const KernelTable& kernels, std::unique_ptr<ThreadPool> pool, KvStorage kv,
             LlamaForward forward);

  /// Logits of the last execute()'s sampling rows, in row order: [num_sampling_rows, vocab].
  std::span<const float> last_logits() const { return last_logits_; }
  int32_t vocab_size() const { return forward_.vocab_size(); }
  int num_threads() const { return pool_->num_threads(); }
  IsaLevel isa() const { return kernels_->isa; }

 private:
  const KernelTable* kernels_;
  std::unique_ptr<ThreadPool> pool_;
  KvStorage kv_;
  LlamaForward forward_;
  Sampler sampler_;
  std::span<const float> last_logits_;   // view into forward_'s logits buffer
};

}  // namespace asc::cpu
