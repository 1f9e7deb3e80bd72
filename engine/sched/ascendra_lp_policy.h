// Ascendra low-priority (LP) policy: throughput first, urgency-ordered out-of-order packing, and
// proactive offload of requests that would miss their TTFT.
//
// One iteration (the paper's design; arXiv 2504.20828, and the authors' NonPreemptiveSolver):
//   1. every running decode, oldest first; when KV blocks run out the youngest running request is
//      preempted by recompute. If anything was preempted, no prompt is admitted this iteration.
//   2. running requests still in prefill (chunked, or attached without KV) continue first;
//   3. waiting prompts ranked by urgency (ascendra_queue.h) are packed WHOLE into the remaining
//      token budget (max_batch_tokens minus the decode rows); a prompt that does not fit the budget
//      or the free KV blocks is skipped and the next one tried (out of arrival order);
//   4. the risk monitor offloads every never-started waiting request that is at risk.
// Extension `tbt_budget`: the iteration's predicted time is capped at the tightest running decode's
// remaining per-token TBT slack (t_last_token + TBT_SLO - now). A prompt that does not fit the cap
// is chunked to fill it, but only when the chunked prefill can still finish within its TTFT;
// otherwise it is left waiting (and typically offloaded). A started chunk holds KV blocks for its
// whole prompt, as the authors allocate at admission, so chunked prompts cannot deadlock the pool.
#pragma once

#include <memory>

#include "engine/cluster/risk_monitor.h"
#include "engine/core/perf_model.h"
#include "engine/sched/ascendra_options.h"
#include "engine/sched/policy.h"

namespace asc {

class AscendraLpPolicy final : public Policy {
 public:
  AscendraLpPolicy(const PolicyContext& context, AscendraOptions options);
  std::string name() const override { return "ascendra-lp"; }
  StepPlan schedule(SchedulerState& state, double now) override;

  const AscendraOptions& options() const { return options_; }
  /// The offload margin in use (seconds).
  double margin_s() const { return monitor_.margin_s(); }

 private:
  /// Continues running requests that are still in prefill; returns the budget left.
  int32_t continue_prefills(SchedulerState& state, StepPlan& plan, int32_t budget, double cap_s,
                            double now);
  /// Packs waiting prompts by urgency into `budget` tokens (and `cap_s` seconds).
  void admit_prompts(SchedulerState& state, StepPlan& plan, int32_t budget, double cap_s, double now);
  /// Step 4: the risk monitor's offloads (full-batch margin, or the queue margin extension).
  void offload_at_risk(SchedulerState& state, const StepPlan& plan, double now);
  /// Tokens of a chunk of `req` that keep the plan within cap_s (0 if none or not worth it).
  int32_t chunk_within_cap(const Request& req, const BatchShape& shape, int32_t max_tokens,
                           double cap_s, double now) const;

  const PerfModel* model_;
  AscendraOptions options_;
  RiskMonitor monitor_;
};

/// Factory registered as "ascendra-lp"; options from context.options (ASC_CHECKed valid: drivers
/// validate the string with parse_ascendra_options first).
std::unique_ptr<Policy> make_ascendra_lp_policy(const PolicyContext& context);

/// The offload margin for a context and options: margin_ms if given, else context.offload_margin_s
/// if positive, else margin_scale * full_batch_time_s().
double ascendra_margin_s(const PolicyContext& context, const AscendraOptions& options);

}  // namespace asc
