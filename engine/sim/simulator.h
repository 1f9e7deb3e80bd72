// Simulator: runs a workload on N instances on a virtual clock. Everything but the backend is the
// real code (Instance, Policy, Dispatcher, PerfModel); iteration times come from the PerfModel.
//
// Event loop: arrivals and iteration completions in time order (ties: completions first, then
// arrivals by id). An idle instance with work plans at the current time and completes after the
// predicted duration. Deterministic for a given input.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "engine/cluster/pool_spec.h"
#include "engine/core/perf_model.h"
#include "engine/core/request_record.h"
#include "engine/core/status.h"
#include "engine/sched/scheduler_state.h"

namespace asc {

struct SimArrival {
  uint64_t id = 0;
  double arrival_s = 0.0;
  int32_t num_prompt_tokens = 1;
  int32_t num_output_tokens = 1;  // generated exactly (no EOS in simulation)
  double ttft_slo_s = 0.0;
  double tbt_slo_s = 0.0;
  int32_t priority = 0;
};

struct SimConfig {
  std::string policy = "sarathi";     // per pool: policy_name_for_pool(policy, role)
  PoolSpec pools = PoolSpec::uniform(1);
  std::string dispatcher;             // "" = default_dispatcher_name(pools.is_dual())
  SchedulerConfig scheduler;
  int32_t num_kv_blocks = 0;          // per instance; 0 = the profile's, else 16384
  double offload_margin_s = 0.0;
  std::string policy_options;         // PolicyContext::options (policy-specific "key=value,...")
  double max_time_s = 0.0;            // stop after this virtual time; 0 = run until all finish
  // Ground-truth iteration time (e.g. builtin_roofline()); empty = the PerfModel's prediction.
  // With it the policies predict with a fitted model that is only approximately right, as on a
  // real device, and every policy's batches are charged by the same physics.
  std::function<double(const BatchShape&)> iteration_time_s;
};

struct SimResult {
  std::vector<RequestRecord> records;  // [arrivals], in arrival id order
  double end_time_s = 0.0;             // virtual time of the last event
  int64_t num_iterations = 0;          // over all instances
  int64_t num_offloads = 0;
  // Per instance (pool order): virtual seconds spent executing iterations, their count, and the
  // HP pool's load is what decides whether offloads can still be served in time.
  std::vector<double> instance_busy_s;
  std::vector<int64_t> instance_iterations;
  std::vector<int64_t> instance_finished;  // requests that finished on each instance
  /// With SimConfig::iteration_time_s: mean |predicted - charged| / charged over all iterations,
  /// the error the policies' performance model makes; < 0 without a ground truth.
  double perf_model_mape = -1.0;
};

/// Runs the workload. kInvalidArgument for an unknown policy/dispatcher or bad arrivals.
/// Requests still unfinished at max_time_s are returned as failed records ("unfinished").
StatusOr<SimResult> simulate(const PerfModel& model, const SimConfig& config,
                             std::span<const SimArrival> arrivals);

}  // namespace asc
