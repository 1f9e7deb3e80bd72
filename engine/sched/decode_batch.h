// Shared building blocks of the policies: the decode rows of all running requests with recompute
// preemption (vLLM's rule: when a running request needs a block and none is free, preempt the
// youngest running request; if that is the request itself, it waits).
#pragma once

#include <cstdint>

#include "engine/core/step.h"
#include "engine/sched/scheduler_state.h"

namespace asc {

/// Appends one decode row for every running request in decode phase, oldest first, preempting the
/// youngest running requests when blocks run out. Requests still in prefill are left alone (the
/// policy chunks them). Returns the number of rows added.
int32_t add_running_decodes(SchedulerState& state, StepPlan& plan, double now);

/// The decode-only iteration of a prefill-first policy (vllm, ascendra HP): every running decode
/// (add_running_decodes), then running requests still in prefill -- attached without KV, or chunked
/// earlier -- finish their prompt whole when their blocks can be had.
void add_decode_iteration(SchedulerState& state, StepPlan& plan, double now);

/// Free blocks kept in reserve when admitting new prompts (1% of the pool, as vLLM's watermark),
/// so that admission does not immediately force preemption of running decodes.
int32_t admission_watermark_blocks(const SchedulerState& state);

}  // namespace asc
