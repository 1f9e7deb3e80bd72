#include "engine/sim/sim_backend.h"

#include <cmath>
#include <utility>

namespace asc {

SimBackend::SimBackend(const PerfModel& model, int32_t num_kv_blocks, int32_t token, TimeFn truth)
    : model_(model), num_kv_blocks_(num_kv_blocks), token_(token), truth_(std::move(truth)) {}

StatusOr<StepResult> SimBackend::execute(const StepPlan& plan) {
  StepResult r;
  r.tokens.reserve(plan.rows.size());
  for (const StepRow& row : plan.rows) r.tokens.push_back(row.sample ? token_ : -1);
  const BatchShape shape = BatchShape::from_plan(plan);
  r.duration_s = truth_ ? truth_(shape) : model_.predict_s(shape);
  if (truth_ && r.duration_s > 0.0) {
    model_error_sum_ += std::abs(model_.predict_s(shape) - r.duration_s) / r.duration_s;
    ++model_error_count_;
  }
  return r;
}

Status SimBackend::export_kv_blocks(std::span<const int32_t> blocks, std::vector<uint8_t>& out) {
  out.clear();
  return Status::ok();
}

Status SimBackend::import_kv_blocks(std::span<const int32_t> blocks, std::span<const uint8_t> data) {
  return data.empty() ? Status::ok() : invalid_argument("simulated KV blocks carry no bytes");
}

}  // namespace asc
