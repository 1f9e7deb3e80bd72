// Ascendra high-priority (HP) policy: latency first for urgent requests.
//
// vLLM-style prefill-first (the paper and the authors' HighPriorityScheduler): when waiting prompts
// can be admitted (KV blocks above the watermark, max_seqs, max_batch_tokens), the iteration is a
// prefill-only batch of whole prompts in urgency order -- least slack first, hopeless requests
// (slack <= 0) last, resumed requests (already streaming) before all -- stopping at the first that
// does not fit. As in the authors' code, max_seqs does not cap HP admission unless
// hp_enforce_max_seqs is set; past it a prompt starts only while >= 5% of KV blocks are free.
// Otherwise it is a decode-only batch of every running request with recompute
// preemption of the youngest when KV blocks run out.
// Extension `tbt_budget`: while decodes are running, prompts join them in a mixed batch capped at
// the tightest decode's per-token TBT slack (the first prompt that does not fit is chunked),
// instead of stalling every decode for a whole prefill batch.
#pragma once

#include <memory>

#include "engine/sched/ascendra_options.h"
#include "engine/sched/policy.h"

namespace asc {

class AscendraHpPolicy final : public Policy {
 public:
  AscendraHpPolicy(const PolicyContext& context, AscendraOptions options)
      : model_(context.perf_model), options_(options) {}
  std::string name() const override { return "ascendra-hp"; }
  StepPlan schedule(SchedulerState& state, double now) override;

 private:
  /// Prefill-only batch of whole prompts in urgency order; empty when none fits.
  StepPlan prefill_batch(SchedulerState& state, double now);
  /// Decodes plus prompts within the TBT cap (extension).
  StepPlan capped_mixed_batch(SchedulerState& state, double cap_s, double now);
  /// Whether one more prompt may start: below max_seqs, or past it (unless hp_enforce_max_seqs)
  /// while at least 5% of the KV blocks are free.
  bool may_admit(const SchedulerState& state) const;

  const PerfModel* model_;
  AscendraOptions options_;
};

/// Factory registered as "ascendra-hp" (options from context.options, ASC_CHECKed valid).
std::unique_ptr<Policy> make_ascendra_hp_policy(const PolicyContext& context);

}  // namespace asc
