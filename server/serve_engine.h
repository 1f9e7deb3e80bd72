// build_serve_engine: turns ServeOptions and a loaded model into the instances (one CPU backend,
// policy and KV cache each; the weights are shared) and the routing function of the service.
//   --policy vllm|sarathi: --instances N of that policy, round-robin dispatch.
//   --policy ascendra: --pools low:L,high:H with the LP/HP policies and the dual-pool router, and a
//   performance model (--profile, or a short start-up profile; server/ascendra_perf.h) that each
//   instance copies and refines online.
//   --admission-control (any policy; admission=1 in --policy-options for ascendra) builds the same
//   model for every policy: instances publish their predicted start delay, and the service refuses
//   requests predicted to miss their TTFT objective.
#pragma once

#include <memory>
#include <vector>

#include "engine/core/status.h"
#include "engine/model/model_loader.h"
#include "server/engine_service.h"
#include "server/serve_options.h"
#include "server/wall_clock.h"

namespace asc::server {

struct ServeEngine {
  std::vector<std::unique_ptr<InstanceDriver>> drivers;
  RouteFn router;
  bool hand_back = false;  // --policy ascendra with dual pools and migration=1 (EngineServiceOptions)
  /// --admission-control (any policy) or --policy-options admission=1: the model admission
  /// control predicts with (EngineServiceOptions); null when off.
  std::shared_ptr<const PerfModel> admission_model;
};

/// kInvalidArgument for --policy-options (or --profile) that the policy cannot take; checked
/// before the model is loaded so that serve exits at once with one line.
Status validate_policy_options(const ServeOptions& options);

/// kInvalidArgument for a bad policy, pool spec or size; the backend's error when it cannot be
/// built for this model.
StatusOr<ServeEngine> build_serve_engine(const ServeOptions& options, const Model& model,
                                         const WallClock& clock);

}  // namespace asc::server
