#include "engine/sched/scheduler_state.h"

#include <algorithm>

namespace asc {

SchedulerState::SchedulerState(BlockPool& blocks, const SchedulerConfig& config,
                               const PerfModel* perf_model)
    : blocks_(blocks), config_(config), perf_model_(perf_model) {}

int32_t SchedulerState::blocks_needed(const Request& req, int32_t positions) const {
  int32_t need = Request::blocks_for(positions) - static_cast<int32_t>(req.block_table.size());
  return need > 0 ? need : 0;
}

bool SchedulerState::ensure_blocks(Request& req, int32_t positions) {
  int32_t need = blocks_needed(req, positions);
  if (need == 0) return true;
  if (!blocks_.can_allocate(need)) return false;
  Status s = blocks_.allocate(need, req.block_table);
  ASC_CHECK(s.is_ok());
  return true;
}

Request* SchedulerState::admit(size_t waiting_index) {
  ASC_CHECK(waiting_index < waiting_.size());
  Request* req = waiting_[waiting_index];
  waiting_.erase(waiting_.begin() + static_cast<std::ptrdiff_t>(waiting_index));
  req->phase = RequestPhase::kRunning;
  running_.push_back(req);
  return req;
}

void SchedulerState::preempt(Request& req) {
  auto it = std::find(running_.begin(), running_.end(), &req);
  ASC_CHECK_MSG(it != running_.end(), "preempting a request that is not running");
  running_.erase(it);
  blocks_.free(req.block_table);
  req.block_table.clear();
  req.num_computed = 0;
  req.phase = RequestPhase::kWaiting;
  ++req.num_preemptions;
  waiting_.push_front(&req);
  preempted_.push_back(&req);
}

void SchedulerState::offload(Request& req) {
  ASC_CHECK_MSG(req.never_started(), "only never-started requests can be offloaded");
  auto it = std::find(waiting_.begin(), waiting_.end(), &req);
  ASC_CHECK_MSG(it != waiting_.end(), "offloading a request that is not waiting");
  waiting_.erase(it);
  offloaded_.push_back(&req);
}

void SchedulerState::add_prefill(StepPlan& plan, Request& req, int32_t n, double now) {
  ASC_CHECK(n >= 1 && n <= req.num_uncomputed());
  ASC_CHECK(static_cast<int32_t>(req.block_table.size()) * kKvBlockSize >= req.num_computed + n);
  StepRow row;
  row.request_id = req.id;
  row.start_pos = req.num_computed;
  row.num_tokens = n;
  row.is_prefill = true;
  row.sample = req.num_computed + n == req.num_tokens();
  row.num_generated = req.num_output_tokens();
  row.sampling = req.sampling;
  plan.rows.push_back(row);
  row_requests_.push_back(&req);
  if (req.first_scheduled_s < 0.0) req.first_scheduled_s = now;
}

void SchedulerState::add_decode(StepPlan& plan, Request& req, double now) {
  ASC_CHECK(!req.in_prefill() && req.num_uncomputed() == 1);
  ASC_CHECK(static_cast<int32_t>(req.block_table.size()) * kKvBlockSize >= req.num_computed + 1);
  StepRow row;
  row.request_id = req.id;
  row.start_pos = req.num_computed;
  row.num_tokens = 1;
  row.is_prefill = false;
  row.sample = true;
  row.num_generated = req.num_output_tokens();
  row.sampling = req.sampling;
  plan.rows.push_back(row);
  row_requests_.push_back(&req);
  if (req.first_scheduled_s < 0.0) req.first_scheduled_s = now;
}

void SchedulerState::begin_plan() {
  row_requests_.clear();
  offloaded_.clear();
  preempted_.clear();
}

}  // namespace asc
