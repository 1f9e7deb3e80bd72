#include "server/core_instance_driver.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

#include "engine/cluster/dual_pool.h"
#include "engine/cluster/migration.h"

namespace asc::server {

CoreInstanceDriver::CoreInstanceDriver(std::unique_ptr<Instance> instance, const WallClock& clock,
                                       std::string pool, std::unique_ptr<PerfModel> perf_model)
    : perf_model_(std::move(perf_model)), instance_(std::move(instance)), clock_(clock), pool_(std::move(pool)) {}

Status CoreInstanceDriver::submit(std::unique_ptr<Request> request) {
  if (request && request->num_offloads > 0) return instance_->attach_request(std::move(request), {});
  return instance_->submit(std::move(request));
}

void CoreInstanceDriver::abort(RequestId id) { instance_->abort(id); }

bool CoreInstanceDriver::has_work() const { return instance_->has_work(); }

Status CoreInstanceDriver::step(double now_s, std::vector<DriverEvent>& events) {
  StepPlan plan = instance_->plan_step(now_s);
  for (const StepRow& row : plan.rows) {
    DriverEvent e;
    e.kind = DriverEvent::Kind::kStarted;
    e.id = row.request_id;
    events.push_back(std::move(e));
  }
  if (!plan.empty()) {
    StatusOr<StepResult> result = instance_->backend().execute(plan);
    // A failed step finishes only its rows' requests (with reason error, through events); the
    // instance and every other request carry on.
    if (!result.is_ok()) {
      std::fprintf(stderr, "ascendra: %s: step failed: %s\n", instance_->name().c_str(),
                   result.status().to_string().c_str());
    } else if (perf_model_) {
      const BatchShape shape = BatchShape::from_plan(plan);
      record_error(shape, result->duration_s);
      perf_model_->refine(shape, result->duration_s);
    }
    instance_->apply(plan, result, clock_.now_s());
  }
  translate_events(events);
  instance_->take_finished();  // records are rebuilt by the HTTP layer from its own timings
  return Status::ok();
}

void CoreInstanceDriver::translate_events(std::vector<DriverEvent>& events) {
  for (EngineEvent& ev : instance_->take_events()) {
    DriverEvent e;
    e.id = ev.request_id;
    switch (ev.kind) {
      case EngineEventKind::kToken:
        e.kind = DriverEvent::Kind::kToken;
        e.token = ev.token;
        break;
      case EngineEventKind::kFinished:
        e.kind = DriverEvent::Kind::kFinished;
        e.reason = ev.finish_reason;
        e.error = std::move(ev.error);
        break;
      case EngineEventKind::kOffloaded:
        e.kind = DriverEvent::Kind::kOffloaded;
        e.detached = instance_->take_request(ev.request_id);
        break;
    }
    events.push_back(std::move(e));
  }
}

void CoreInstanceDriver::record_error(const BatchShape& shape, double measured_s) {
  if (measured_s <= 0.0) return;
  const double predicted = perf_model_->predict_s(shape);
  errors_[num_errors_ % kErrorWindow] = std::fabs(predicted - measured_s) / measured_s;
  ++num_errors_;
}

std::unique_ptr<Request> CoreInstanceDriver::detach(RequestId id, std::vector<uint8_t>& kv) {
  kv.clear();
  return instance_->take_request(id, &kv);
}

AttachOutcome CoreInstanceDriver::attach(std::unique_ptr<Request>& request, std::span<const uint8_t> kv,
                                         bool recompute_ok) {
  // attach_request consumes the request even when it refuses it: keep a copy to hand back.
  Request backup = *request;
  if (instance_->attach_request(std::move(request), kv, /*kv_exported=*/true).is_ok()) {
    // With nothing computed attach_request queued it for prefill; only KV that came along counts.
    return backup.num_computed > 0 ? AttachOutcome::kWithKv : AttachOutcome::kRecompute;
  }
  if (recompute_ok && backup.num_computed > 0) {
    Request again = backup;
    again.num_computed = 0;
    again.block_table.clear();
    ++again.num_preemptions;
    if (instance_->attach_request(std::make_unique<Request>(std::move(again)), {}).is_ok()) {
      return AttachOutcome::kRecompute;
    }
  }
  request = std::make_unique<Request>(std::move(backup));
  return AttachOutcome::kRefused;
}

std::vector<const Request*> CoreInstanceDriver::hand_back_candidates() const {
  return asc::hand_back_candidates(*instance_);
}

InstanceLoad CoreInstanceDriver::load() const {
  InstanceStats s = instance_->stats();
  InstanceLoad l;
  l.num_running = s.num_running;
  l.num_waiting = s.num_waiting;
  l.num_kv_blocks_total = s.num_blocks;
  l.num_kv_blocks_used = s.num_blocks - s.num_free_blocks;
  l.max_seqs = s.max_seqs;
  l.predicted_start_delay_s = predicted_start_delay_s(*instance_, perf_model_.get());
  if (perf_model_ && num_errors_ > 0) {
    const size_t n = std::min(num_errors_, kErrorWindow);
    double sum = 0.0;
    for (size_t i = 0; i < n; ++i) sum += errors_[i];
    l.perf_model_mape = sum / static_cast<double>(n);
  }
  return l;
}

}  // namespace asc::server
