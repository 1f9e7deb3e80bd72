// Ascendra LP policy (see ascendra_lp_policy.h for the algorithm).
#include "engine/sched/ascendra_lp_policy.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/core/perf_model.h"
#include "engine/sched/ascendra_budget.h"
#include "engine/sched/ascendra_queue.h"
#include "engine/sched/decode_batch.h"

namespace asc {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// Smallest chunk worth starting a prompt with under the TBT cap: below it the per-row overhead
// dominates and the prompt would crawl.
constexpr int32_t kMinChunkTokens = 32;

}  // namespace

double ascendra_margin_s(const PolicyContext& context, const AscendraOptions& options) {
  if (options.margin_s >= 0.0) return options.margin_s;
  if (context.offload_margin_s > 0.0) return context.offload_margin_s;
  return options.margin_scale * full_batch_time_s(context.perf_model, context.config);
}

AscendraLpPolicy::AscendraLpPolicy(const PolicyContext& context, AscendraOptions options)
    : model_(context.perf_model),
      options_(options),
      monitor_(context.perf_model, ascendra_margin_s(context, options)) {}

int32_t AscendraLpPolicy::chunk_within_cap(const Request& req, const BatchShape& shape,
                                           int32_t max_tokens, double cap_s, double now) const {
  const int32_t lo = max_chunk_within(model_, shape, req, max_tokens, cap_s);
  if (lo == 0 || lo == req.num_uncomputed()) return lo;
  if (lo < kMinChunkTokens) return 0;
  // Starting a chunked prefill commits the request to this instance: only do it when the chunks
  // (one per capped iteration) still deliver the first token within the TTFT objective.
  if (req.ttft_slo_s > 0.0 && req.never_started()) {
    const double iterations = std::ceil(static_cast<double>(req.num_uncomputed()) / lo);
    if ((now - req.arrival_s) + iterations * cap_s > req.ttft_slo_s) return 0;
  }
  return lo;
}

int32_t AscendraLpPolicy::continue_prefills(SchedulerState& state, StepPlan& plan, int32_t budget,
                                            double cap_s, double now) {
  BatchShape shape = BatchShape::from_plan(plan);
  for (Request* req : state.running()) {
    if (budget <= 0) break;
    if (!req->in_prefill()) continue;
    int32_t n = std::min(budget, req->num_uncomputed());
    if (std::isfinite(cap_s)) {
      BatchShape trial = shape;
      trial.add_prefill(req->num_computed, n, n == req->num_uncomputed());
      // Started prompts keep moving: at least a minimal chunk even when the cap is tight.
      if (predict_or_zero(model_, trial) > cap_s) {
        n = std::max(max_chunk_within(model_, shape, *req, n, cap_s), std::min(kMinChunkTokens, n));
      }
    }
    if (!state.ensure_blocks(*req, req->num_computed + n)) break;
    state.add_prefill(plan, *req, n, now);
    shape.add_prefill(req->num_computed, n, n == req->num_uncomputed());
    budget -= n;
  }
  return budget;
}

void AscendraLpPolicy::admit_prompts(SchedulerState& state, StepPlan& plan, int32_t budget,
                                     double cap_s, double now) {
  const SchedulerConfig& cfg = state.config();
  const HopelessPlace place =
      options_.hopeless == HopelessOrder::kPaper ? HopelessPlace::kFirst : HopelessPlace::kLast;
  const std::vector<RankedRequest> ranked = rank_waiting(state.waiting(), model_, options_.value, place, now);
  const int32_t watermark = admission_watermark_blocks(state);
  BatchShape shape = BatchShape::from_plan(plan);
  for (const RankedRequest& r : ranked) {
    if (static_cast<int32_t>(state.running().size()) >= cfg.max_seqs || budget <= 0) break;
    Request& req = *r.request;
    int32_t n = req.num_uncomputed();
    // Out-of-order packing: skip what does not fit. A prompt longer than the whole budget may run
    // alone (else it could never run here).
    const bool alone = plan.empty() && n > cfg.max_batch_tokens;
    if (n > budget && !alone) continue;
    if (std::isfinite(cap_s)) {
      n = chunk_within_cap(req, shape, std::min(n, budget), cap_s, now);
      if (n == 0) continue;
    }
    // Blocks for the whole prompt at admission (as the authors' LP): a chunked prompt started on
    // a partial allocation could later find none free, and several of them deadlock the pool.
    const int32_t whole = req.num_computed + req.num_uncomputed();
    const int32_t need = state.blocks_needed(req, whole);
    if (!state.blocks().can_allocate(need + watermark)) continue;
    state.admit(index_in(state.waiting(), &req));
    ASC_CHECK(state.ensure_blocks(req, whole));
    state.add_prefill(plan, req, n, now);
    shape.add_prefill(req.num_computed, n, n == req.num_uncomputed());
    budget -= n;
    if (n < req.num_uncomputed()) break;  // a chunk filled the time cap
  }
}

StepPlan AscendraLpPolicy::schedule(SchedulerState& state, double now) {
  StepPlan plan;
  const int32_t num_decodes = add_running_decodes(state, plan, now);
  const double cap_s = options_.tbt_budget ? options_.tbt_headroom * tightest_tbt_slack_s(state, now) : kInf;
  if (state.preempted().empty()) {
    int32_t budget = state.config().max_batch_tokens - num_decodes;
    budget = continue_prefills(state, plan, budget, cap_s, now);
    admit_prompts(state, plan, budget, cap_s, now);
  }
  if (options_.offload) offload_at_risk(state, plan, now);
  return plan;
}

void AscendraLpPolicy::offload_at_risk(SchedulerState& state, const StepPlan& plan, double now) {
  const double batch_s = predict_or_zero(model_, BatchShape::from_plan(plan));
  if (!options_.queue_margin) {
    for (Request* req : monitor_.select(state.waiting(), batch_s, now)) state.offload(*req);
    return;
  }
  // The next iteration carries the running decodes (this plan's, one token further) and the
  // prompts in admission order.
  BatchShape decodes;
  for (const Request* req : state.running()) {
    if (!req->in_prefill()) decodes.add_decode(req->num_computed + 1);
  }
  const HopelessPlace place =
      options_.hopeless == HopelessOrder::kPaper ? HopelessPlace::kFirst : HopelessPlace::kLast;
  std::vector<Request*> ranked;
  for (const RankedRequest& r : rank_waiting(state.waiting(), model_, options_.value, place, now)) {
    ranked.push_back(r.request);
  }
  for (Request* req : monitor_.select_by_queue(ranked, decodes, batch_s, now)) state.offload(*req);
}

std::unique_ptr<Policy> make_ascendra_lp_policy(const PolicyContext& context) {
  auto options = parse_ascendra_options(context.options);
  ASC_CHECK_MSG(options.is_ok(), options.status().to_string());
  return std::make_unique<AscendraLpPolicy>(context, *options);
}

}  // namespace asc
