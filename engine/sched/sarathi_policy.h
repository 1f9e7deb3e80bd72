// Sarathi-Serve: stall-free chunked prefill under a token budget (chunk_size, default 512).
//
// Each iteration takes every running decode first (never skipped; recompute preemption of the
// youngest when blocks run out), then continues partially prefilled requests, then admits new
// prompts in arrival order, each as a chunk of at most the remaining budget. Decodes and chunks
// together never exceed the budget (unless the decodes alone do, which max_seqs <= budget avoids).
#pragma once

#include <memory>

#include "engine/sched/policy.h"

namespace asc {

class SarathiPolicy final : public Policy {
 public:
  explicit SarathiPolicy(const PolicyContext& context) {}
  std::string name() const override { return "sarathi"; }
  StepPlan schedule(SchedulerState& state, double now) override;
};

std::unique_ptr<Policy> make_sarathi_policy(const PolicyContext& context);

}  // namespace asc
