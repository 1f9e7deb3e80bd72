// RiskMonitor: the Ascendra proactive-offload rule.
//
// Right after a low-priority instance forms a batch, every waiting request that has never been
// scheduled is at risk -- and moves to the high-priority pool with only its tokens, keeping its
// arrival time -- when
//     waited + max(predicted batch time, predicted solo prefill) + margin > TTFT_SLO.
// The margin is a full-batch time from the performance model (one iteration of max_batch_tokens
// prompt tokens), scaled by `margin_scale`, instead of the authors' hand-tuned per-model constant.
// Requests without a TTFT objective are never at risk.
//
// Pure logic: the LP policy calls it inside schedule() (so the simulator and the server make the
// same decision at the same point of the iteration); the driver then moves the offloaded requests.
#pragma once

#include <deque>
#include <vector>

#include "engine/core/perf_model.h"
#include "engine/core/request.h"
#include "engine/sched/scheduler_state.h"

namespace asc {

class PerfModel;

/// Predicted time of one full batch: max_batch_tokens prompt tokens from position 0 (0 without a
/// model). On an A100 with Llama-3.1-8B and 8192 tokens this is about the authors' 0.7 s constant.
double full_batch_time_s(const PerfModel* model, const SchedulerConfig& config);

class RiskMonitor {
 public:
  /// `model` may be null (then predictions are 0 and only waited time counts); it must outlive
  /// the monitor. `margin_s` is the slack kept in reserve.
  RiskMonitor(const PerfModel* model, double margin_s) : model_(model), margin_s_(margin_s) {}

  double margin_s() const { return margin_s_; }

  /// The predicted completion of `req`'s first token if it stays: now + max(batch, solo prefill)
  /// + margin, measured from its arrival.
  double predicted_ttft_s(const Request& req, double batch_time_s, double now) const;

  /// True when `req` is offloadable (never started, never offloaded before, has a TTFT objective)
  /// and at risk.
  bool at_risk(const Request& req, double batch_time_s, double now) const;

  /// The at-risk requests of `waiting`, in queue order.
  std::vector<Request*> select(const std::deque<Request*>& waiting, double batch_time_s,
                               double now) const;

  /// Extension (margin=queue): the margin is not a constant full batch but the predicted time of
  /// the LP iteration that would carry each request next -- the running decodes (`decodes`) plus
  /// every prompt ranked ahead of it and its own, from the performance model. A request is at risk
  /// when waited + this batch + that next batch > TTFT_SLO. `ranked` is the waiting queue in the
  /// LP's admission order.
  std::vector<Request*> select_by_queue(const std::vector<Request*>& ranked, const BatchShape& decodes,
                                        double batch_time_s, double now) const;

 private:
  const PerfModel* model_;
  double margin_s_;
};

}  // namespace asc
