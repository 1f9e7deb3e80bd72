// Instance: one model replica's engine loop. Owns a Backend, a BlockPool sized from the backend, a
// Policy and the requests submitted to it.
//
// One iteration: plan = policy.schedule(state, now) -> result = backend.execute(plan) ->
// apply(plan, result, now + duration). No threads and no clock reads: the server serialises every
// call on the instance's engine thread and passes a wall-clock `now`; the simulator calls
// plan_step() and apply() as two events on a virtual clock.
//
// Lifecycle of a request: submit -> waiting -> running (prefill rows, then decode rows) ->
// finished (EOS unless ignore_eos, max_output_tokens, the length limit, abort, or a failed step).
// Finished requests stay in the instance until take_finished() (drivers must drain it).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/core/backend.h"
#include "engine/core/kv_blocks.h"
#include "engine/core/request.h"
#include "engine/core/status.h"
#include "engine/core/step.h"
#include "engine/sched/policy.h"
#include "engine/sched/scheduler_state.h"

namespace asc {

enum class EngineEventKind { kToken, kFinished, kOffloaded };

struct EngineEvent {
  RequestId request_id = 0;
  EngineEventKind kind = EngineEventKind::kToken;
  int32_t token = -1;                  // kToken: the generated id (-1 when simulated without ids)
  double time_s = 0.0;
  FinishReason finish_reason = FinishReason::kNone;  // kFinished
  std::string error;                   // kFinished with kError
};

struct InstanceConfig {
  std::string name = "instance";
  SchedulerConfig scheduler;
  bool emit_token_events = true;       // the simulator turns them off for speed
};

/// Load figures for routers and /metrics.
struct InstanceStats {
  int32_t num_running = 0;
  int32_t num_waiting = 0;
  int32_t max_seqs = 0;
  int32_t num_free_blocks = 0;
  int32_t num_blocks = 0;
  double kv_usage = 0.0;               // used blocks / all blocks
  bool busy = false;                   // a plan is in flight (between plan_step and apply)
};

class Instance {
 public:
  /// `perf_model` may be null; it must outlive the instance when given.
  Instance(std::unique_ptr<Backend> backend, std::unique_ptr<Policy> policy, InstanceConfig config,
           const PerfModel* perf_model = nullptr);
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  /// Queues a request (phase waiting). kInvalidArgument for an empty prompt, a non-positive
  /// max_output_tokens, ids/length mismatch or a duplicate id; kOutOfRange when the prompt alone
  /// does not fit the length limit or the whole KV pool.
  Status submit(std::unique_ptr<Request> request);
  /// Asks to end a request; done at the next iteration boundary (blocks freed, finished event
  /// with reason abort). Unknown ids are ignored.
  void abort(RequestId id);

  /// Forms the next plan at `now` (handles pending aborts and offloads first). Returns an empty plan
  /// when nothing can run. The plan's spans stay valid until apply(). At most one plan in flight.
  StepPlan plan_step(double now);
  /// Applies the result of the in-flight plan at time `now` (token times). A failed step is passed
  /// as a non-ok Status: its rows' requests finish with reason error and the loop goes on.
  void apply(const StepPlan& plan, const StatusOr<StepResult>& result, double now);
  /// plan_step(now), backend.execute, apply at now + duration_s. False when there was nothing to run.
  bool step(double now);

  /// Events since the last call, in order.
  std::vector<EngineEvent> take_events();
  /// Finished requests since the last call (their records are the run's output).
  std::vector<std::unique_ptr<Request>> take_finished();

  /// Removes a request that is not in the in-flight plan (offload or migration). Waiting requests
  /// keep their state; a running one is detached: if `kv_out` is given its KV blocks are exported
  /// into it (blocks in table order, Backend::export_kv_blocks layout), else it is reset for
  /// recompute. Its blocks are freed. Null when unknown, finished or in flight.
  std::unique_ptr<Request> take_request(RequestId id, std::vector<uint8_t>* kv_out = nullptr);
  /// Adds a request detached from another instance of the same model. With `kv` (the exporter's
  /// bytes for its num_computed positions) it gets blocks, imports them and joins running;
  /// without, it joins waiting for recompute. Counts a migration when kv is given.
  /// `kv_exported` says that `kv` is a complete export even when empty (backends that keep no KV
  /// bytes, e.g. the simulated one), so the request keeps its KV instead of recomputing.
  Status attach_request(std::unique_ptr<Request> request, std::span<const uint8_t> kv,
                        bool kv_exported = false);

  InstanceStats stats() const;
  bool has_work() const;               // waiting, running or pending aborts
  bool busy() const { return in_flight_; }
  const std::string& name() const { return config_.name; }
  const InstanceConfig& config() const { return config_; }
  Backend& backend() { return *backend_; }
  const Policy& policy() const { return *policy_; }
  /// Read-only view of the queues (routers, risk monitors, metrics).
  const SchedulerState& state() const { return state_; }
  /// Looks up a live (not finished) request; null when unknown.
  const Request* find(RequestId id) const;
  /// Iterations applied so far.
  int64_t num_iterations() const { return num_iterations_; }

 private:
  void resolve_rows(StepPlan& plan);
  void handle_aborts(double now);
  void handle_offloads(double now);
  void apply_row(Request& req, const StepRow& row, int32_t token, double now);
  void finish(Request& req, FinishReason reason, std::string error, double now);
  void remove_from_queues(Request& req);
  int32_t length_limit() const;

  std::unique_ptr<Backend> backend_;
  std::unique_ptr<Policy> policy_;
  InstanceConfig config_;
  BlockPool blocks_;
  SchedulerState state_;
  std::unordered_map<RequestId, std::unique_ptr<Request>> requests_;  // live requests
  std::vector<std::unique_ptr<Request>> finished_;
  std::vector<EngineEvent> events_;
  std::vector<RequestId> pending_aborts_;
  std::vector<Request*> in_flight_rows_;  // [plan rows] requests of the plan in flight
  bool in_flight_ = false;
  int64_t num_iterations_ = 0;
};

}  // namespace asc
