// vLLM's original scheduler (v0, prefill-first, no chunking).
//
// If waiting requests fit (free KV blocks above the watermark, max_seqs, the max_batch_tokens budget),
// the iteration is a prefill-only batch of whole prompts taken in arrival (queue) order, stopping at
// the first that does not fit; otherwise it is a decode-only batch of every running request. When a
// decode needs a block and none is free, the youngest running request is preempted by recompute.
#pragma once

#include <memory>

#include "engine/sched/policy.h"

namespace asc {

class VllmPolicy final : public Policy {
 public:
  explicit VllmPolicy(const PolicyContext& context) {}
  std::string name() const override { return "vllm"; }
  StepPlan schedule(SchedulerState& state, double now) override;
};

std::unique_ptr<Policy> make_vllm_policy(const PolicyContext& context);

}  // namespace asc
