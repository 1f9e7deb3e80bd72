#include "engine/sched/decode_batch.h"

namespace asc {

int32_t add_running_decodes(SchedulerState& state, StepPlan& plan, double now) {
  auto& running = state.running();
  int32_t added = 0;
  size_t i = 0;
  while (i < running.size()) {
    Request* req = running[i];
    if (req->in_prefill()) {
      ++i;
      continue;
    }
    bool self_preempted = false;
    while (!state.ensure_blocks(*req, req->num_computed + 1)) {
      Request* victim = running.back();
      state.preempt(*victim);
      if (victim == req) {
        self_preempted = true;
        break;
      }
    }
    if (self_preempted) break;  // req was the youngest: nothing after it is left
    state.add_decode(plan, *req, now);
    ++added;
    ++i;
  }
  return added;
}

int32_t admission_watermark_blocks(const SchedulerState& state) {
  return state.blocks().num_blocks() / 100;
}

void add_decode_iteration(SchedulerState& state, StepPlan& plan, double now) {
  add_running_decodes(state, plan, now);
  for (Request* req : state.running()) {
    if (!req->in_prefill()) continue;
    if (!state.ensure_blocks(*req, req->num_tokens())) continue;
    state.add_prefill(plan, *req, req->num_uncomputed(), now);
  }
}

}  // namespace asc
