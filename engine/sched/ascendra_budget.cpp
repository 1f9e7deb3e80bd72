// TBT-aware budget helpers (see ascendra_budget.h).
#include "engine/sched/ascendra_budget.h"

#include <algorithm>
#include <limits>

namespace asc {

double tightest_tbt_slack_s(const SchedulerState& state, double now) {
  double cap = std::numeric_limits<double>::infinity();
  for (const Request* req : state.running()) {
    if (req->in_prefill() || req->tbt_slo_s <= 0.0 || req->token_times_s.empty()) continue;
    cap = std::min(cap, req->token_times_s.back() + req->tbt_slo_s - now);
  }
  return cap;
}

double predict_or_zero(const PerfModel* model, const BatchShape& shape) {
  return model != nullptr ? model->predict_s(shape) : 0.0;
}

int32_t max_chunk_within(const PerfModel* model, const BatchShape& shape, const Request& req,
                         int32_t max_tokens, double cap_s) {
  auto fits = [&](int32_t m) {
    BatchShape trial = shape;
    trial.add_prefill(req.num_computed, m, m == req.num_uncomputed());
    return predict_or_zero(model, trial) <= cap_s;
  };
  if (max_tokens < 1 || !fits(1)) return 0;
  int32_t lo = 1, hi = max_tokens;  // invariant: fits(lo)
  while (lo < hi) {
    const int32_t mid = lo + (hi - lo + 1) / 2;
    if (fits(mid)) lo = mid; else hi = mid - 1;
  }
  return lo;
}

}  // namespace asc
