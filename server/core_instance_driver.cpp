#include "server/core_instance_driver.h"

#include <cstdio>
#include <utility>

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
      perf_model_->refine(BatchShape::from_plan(plan), result->duration_s);
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

InstanceLoad CoreInstanceDriver::load() const {
  InstanceStats s = instance_->stats();
  InstanceLoad l;
  l.num_running = s.num_running;
  l.num_waiting = s.num_waiting;
  l.num_kv_blocks_total = s.num_blocks;
  l.num_kv_blocks_used = s.num_blocks - s.num_free_blocks;
  l.max_seqs = s.max_seqs;
  return l;
}

}  // namespace asc::server
