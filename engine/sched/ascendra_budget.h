// The TBT-aware budget (extension): how much prefill an iteration can carry so that its predicted
// time stays within the tightest running decode's per-token TBT slack.
#pragma once

#include <cstdint>

#include "engine/core/perf_model.h"
#include "engine/core/request.h"
#include "engine/sched/scheduler_state.h"

namespace asc {

/// min over running decodes with a TBT objective of (time of last token + TBT_SLO - now);
/// +infinity when no running decode has an objective.
double tightest_tbt_slack_s(const SchedulerState& state, double now);

/// Predicted time of `shape` (0 without a model).
double predict_or_zero(const PerfModel* model, const BatchShape& shape);

/// Largest m in [1, max_tokens] such that `shape` plus a prefill chunk of m tokens of `req` is
/// predicted within cap_s; 0 when even one token does not fit. Binary search (prediction is
/// monotone in m).
int32_t max_chunk_within(const PerfModel* model, const BatchShape& shape, const Request& req,
                         int32_t max_tokens, double cap_s);

}  // namespace asc
