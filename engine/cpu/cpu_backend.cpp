#include "engine/cpu/cpu_backend.h"

#include <chrono>

namespace asc::cpu {

StatusOr<std::unique_ptr<CpuBackend>> CpuBackend::create(const Model& model,
                                                         const CpuBackendOptions& options) {
  const KernelTable& kernels = kernel_table(options.isa);
  StatusOr<LlamaForward> forward = LlamaForward::create(model, kernels, options.max_batch_tokens);
  if (!forward.is_ok()) return forward.status();
  KvStorage kv = KvStorage::with_budget(forward->kv_geometry(), options.kv_cache_bytes);
  auto pool = std::make_unique<ThreadPool>(options.num_threads);
  return std::make_unique<CpuBackend>(kernels, std::move(pool), std::move(kv), std::move(*forward));
}

CpuBackend::CpuBackend(const KernelTable& kernels, std::unique_ptr<ThreadPool> pool, KvStorage kv,
                       LlamaForward forward)
    : kernels_(&kernels), pool_(std::move(pool)), kv_(std::move(kv)), forward_(std::move(forward)) {}

StatusOr<StepResult> CpuBackend::execute(const StepPlan& plan) {
  const auto start = std::chrono::steady_clock::now();
  for (const BlockCopy& copy : plan.block_copies) {
    ASC_RETURN_IF_ERROR(kv_.copy_block(copy.src_block, copy.dst_block));
  }
  StepResult result;
  result.tokens.assign(plan.rows.size(), -1);
  last_logits_ = {};
  if (!plan.rows.empty()) {
    StatusOr<std::span<const float>> logits = forward_.forward(*pool_, kv_, plan.rows);
    if (!logits.is_ok()) return logits.status();
    last_logits_ = *logits;
    const auto vocab = static_cast<size_t>(forward_.vocab_size());
    size_t s = 0;
    for (size_t r = 0; r < plan.rows.size(); ++r) {
      const StepRow& row = plan.rows[r];
      if (!row.sample) continue;
      result.tokens[r] = sampler_.sample(last_logits_.subspan(s * vocab, vocab), row.sampling,
                                         row.num_generated);
      ++s;
    }
  }
  result.duration_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

Status CpuBackend::export_kv_blocks(std::span<const int32_t> blocks, std::vector<uint8_t>& out) {
  out.clear();
  return kv_.export_blocks(blocks, out);
}

Status CpuBackend::import_kv_blocks(std::span<const int32_t> blocks, std::span<const uint8_t> data) {
  return kv_.import_blocks(blocks, data);
}

}  // namespace asc::cpu
