#include "engine/sched/sarathi_policy.h"

#include <algorithm>

#include "engine/sched/decode_batch.h"

namespace asc {

StepPlan SarathiPolicy::schedule(SchedulerState& state, double now) {
  StepPlan plan;
  const SchedulerConfig& cfg = state.config();
  int32_t budget = cfg.chunk_size - add_running_decodes(state, plan, now);
  // Partially prefilled requests continue first, in admission order.
  for (Request* req : state.running()) {
    if (budget <= 0) break;
    if (!req->in_prefill()) continue;
    const int32_t n = std::min(budget, req->num_uncomputed());
    if (!state.ensure_blocks(*req, req->num_computed + n)) break;
    state.add_prefill(plan, *req, n, now);
    budget -= n;
  }
  const int32_t watermark = admission_watermark_blocks(state);
  while (budget > 0 && !state.waiting().empty()) {
    if (static_cast<int32_t>(state.running().size()) >= cfg.max_seqs) break;
    Request& req = *state.waiting().front();
    const int32_t n = std::min(budget, req.num_uncomputed());
    const int32_t need = state.blocks_needed(req, req.num_computed + n);
    if (!state.blocks().can_allocate(need + watermark)) break;
    state.admit(0);
    ASC_CHECK(state.ensure_blocks(req, req.num_computed + n));
    state.add_prefill(plan, req, n, now);
    budget -= n;
  }
  return plan;
}

std::unique_ptr<Policy> make_sarathi_policy(const PolicyContext& context) {
  return std::make_unique<SarathiPolicy>(context);
}

}  // namespace asc
