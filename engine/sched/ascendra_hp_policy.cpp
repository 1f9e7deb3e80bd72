// Ascendra HP policy (see ascendra_hp_policy.h).
#include "engine/sched/ascendra_hp_policy.h"

#include <algorithm>
#include <cmath>

#include "engine/core/perf_model.h"
#include "engine/sched/ascendra_budget.h"
#include "engine/sched/ascendra_queue.h"
#include "engine/sched/decode_batch.h"

namespace asc {
namespace {

// The authors' HP admits past max_seqs unless told to enforce it, stopping only when KV runs low:
// the HP pool exists to absorb bursts of offloads, and a sequence cap would queue them instead.
constexpr double kHpMinFreeKvPastMaxSeqs = 0.05;

}  // namespace

bool AscendraHpPolicy::may_admit(const SchedulerState& state) const {
  const SchedulerConfig& cfg = state.config();
  if (static_cast<int32_t>(state.running().size()) < cfg.max_seqs) return true;
  if (options_.hp_enforce_max_seqs || state.blocks().num_blocks() <= 0) return false;
  return static_cast<double>(state.blocks().num_free()) / state.blocks().num_blocks() >= kHpMinFreeKvPastMaxSeqs;
}

StepPlan AscendraHpPolicy::prefill_batch(SchedulerState& state, double now) {
  StepPlan plan;
  const SchedulerConfig& cfg = state.config();
  const int32_t watermark = admission_watermark_blocks(state);
  int32_t tokens = 0;
  for (const RankedRequest& r :
       rank_waiting(state.waiting(), model_, options_.value, HopelessPlace::kLast, now)) {
    Request& req = *r.request;
    const int32_t n = req.num_uncomputed();
    if (!may_admit(state)) break;
    if (tokens > 0 && tokens + n > cfg.max_batch_tokens) break;  // a long prompt may run alone
    const int32_t need = state.blocks_needed(req, req.num_computed + n);
    if (!state.blocks().can_allocate(need + watermark)) break;
    state.admit(index_in(state.waiting(), &req));
    ASC_CHECK(state.ensure_blocks(req, req.num_computed + n));
    state.add_prefill(plan, req, n, now);
    tokens += n;
  }
  return plan;
}

StepPlan AscendraHpPolicy::capped_mixed_batch(SchedulerState& state, double cap_s, double now) {
  StepPlan plan;
  const SchedulerConfig& cfg = state.config();
  int32_t budget = cfg.max_batch_tokens - add_running_decodes(state, plan, now);
  if (!state.preempted().empty()) return plan;
  BatchShape shape = BatchShape::from_plan(plan);
  // Running prompts (chunked earlier) continue first, then waiting ones by urgency.
  std::vector<Request*> order;
  for (Request* req : state.running()) {
    if (req->in_prefill()) order.push_back(req);
  }
  for (const RankedRequest& r :
       rank_waiting(state.waiting(), model_, options_.value, HopelessPlace::kLast, now)) {
    order.push_back(r.request);
  }
  const int32_t watermark = admission_watermark_blocks(state);
  for (Request* req : order) {
    if (budget <= 0) break;
    const bool waiting = req->phase == RequestPhase::kWaiting;
    if (waiting && !may_admit(state)) break;
    const int32_t n = max_chunk_within(model_, shape, *req, std::min(budget, req->num_uncomputed()), cap_s);
    if (n == 0) break;
    // A new prompt gets blocks for all of it (see the LP policy): partial allocations deadlock.
    const int32_t upto = waiting ? req->num_computed + req->num_uncomputed() : req->num_computed + n;
    const int32_t need = state.blocks_needed(*req, upto);
    if (!state.blocks().can_allocate(need + (waiting ? watermark : 0))) break;
    if (waiting) state.admit(index_in(state.waiting(), req));
    ASC_CHECK(state.ensure_blocks(*req, upto));
    state.add_prefill(plan, *req, n, now);
    shape.add_prefill(req->num_computed, n, n == req->num_uncomputed());
    budget -= n;
    if (n < req->num_uncomputed()) break;  // the cap is full
  }
  return plan;
}

StepPlan AscendraHpPolicy::schedule(SchedulerState& state, double now) {
  if (options_.tbt_budget) {
    const double cap_s = options_.tbt_headroom * tightest_tbt_slack_s(state, now);
    if (std::isfinite(cap_s)) return capped_mixed_batch(state, cap_s, now);
  }
  StepPlan plan = prefill_batch(state, now);
  if (!plan.empty()) return plan;
  add_decode_iteration(state, plan, now);
  return plan;
}

std::unique_ptr<Policy> make_ascendra_hp_policy(const PolicyContext& context) {
  auto options = parse_ascendra_options(context.options);
  ASC_CHECK_MSG(options.is_ok(), options.status().to_string());
  return std::make_unique<AscendraHpPolicy>(context, *options);
}

}  // namespace asc
