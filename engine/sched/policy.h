// Policy: decides one iteration. Each policy is a small class behind this interface; the instance
// calls schedule() once per iteration and executes the returned plan.
//
// Adding a policy: write engine/sched/<name>_policy.{h,cpp} with a factory function and add one
// line to the table in engine/sched/policy_factory.cpp. Policies that serve one pool of a dual-pool
// deployment are registered as "<name>-lp" / "<name>-hp"; drivers pick them with
// policy_name_for_pool().
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/core/status.h"
#include "engine/core/step.h"
#include "engine/sched/scheduler_state.h"

namespace asc {

class Policy {
 public:
  virtual ~Policy() = default;
  /// Registered name ("vllm", "sarathi", ...).
  virtual std::string name() const = 0;
  /// Forms the next iteration at time `now`: admits, preempts, offloads and allocates blocks through
  /// `state`, and returns the plan (rows built with state.add_prefill / add_decode). An empty plan
  /// means nothing can run now. Must not read a clock or keep pointers to requests across calls.
  virtual StepPlan schedule(SchedulerState& state, double now) = 0;
};

/// What a policy may be built with.
struct PolicyContext {
  SchedulerConfig config;
  const PerfModel* perf_model = nullptr;  // owned by the caller; outlives the policy
  double offload_margin_s = 0.0;          // ascendra LP: slack margin for proactive offload
  std::string options;                    // policy-specific "key=value,..." (ascendra_options.h)
};

using PolicyMaker = std::unique_ptr<Policy> (*)(const PolicyContext& context);

struct PolicyEntry {
  const char* name;
  PolicyMaker make;
  const char* description;
};

/// The registered policies (a constant table).
std::vector<PolicyEntry> policy_table();

/// Builds a policy by name. kInvalidArgument (listing the known names) for an unknown name.
StatusOr<std::unique_ptr<Policy>> make_policy(const std::string& name, const PolicyContext& context);

/// Pool role of an instance in a deployment.
enum class PoolRole { kAny, kLow, kHigh };

/// "<name>-lp" for kLow and "<name>-hp" for kHigh when registered, else `name`.
std::string policy_name_for_pool(const std::string& name, PoolRole role);

}  // namespace asc
