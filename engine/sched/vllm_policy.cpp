#include "engine/sched/vllm_policy.h"

#include "engine/sched/decode_batch.h"

namespace asc {

StepPlan VllmPolicy::schedule(SchedulerState& state, double now) {
  StepPlan plan;
  const SchedulerConfig& cfg = state.config();
  int32_t tokens = 0;
  const int32_t watermark = admission_watermark_blocks(state);
  while (!state.waiting().empty()) {
    Request& req = *state.waiting().front();
    const int32_t n = req.num_uncomputed();
    if (static_cast<int32_t>(state.running().size()) >= cfg.max_seqs) break;
    // A prompt longer than the budget may still run alone.
    if (tokens > 0 && tokens + n > cfg.max_batch_tokens) break;
    const int32_t need = state.blocks_needed(req, req.num_computed + n);
    if (!state.blocks().can_allocate(need + watermark)) break;
    state.admit(0);
    ASC_CHECK(state.ensure_blocks(req, req.num_computed + n));
    state.add_prefill(plan, req, n, now);
    tokens += n;
  }
  if (!plan.empty()) return plan;
  add_decode_iteration(state, plan, now);
  return plan;
}

std::unique_ptr<Policy> make_vllm_policy(const PolicyContext& context) {
  return std::make_unique<VllmPolicy>(context);
}

}  // namespace asc
