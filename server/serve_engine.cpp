#include "server/serve_engine.h"

#include <algorithm>
#include <thread>
#include <utility>

#include "engine/cluster/pool_spec.h"
#include "engine/core/instance.h"
#include "engine/cpu/backend_factory.h"
#include "engine/sched/ascendra_options.h"
#include "engine/sched/policy.h"
#include "server/ascendra_perf.h"
#include "server/ascendra_router.h"
#include "server/core_instance_driver.h"

namespace asc::server {
namespace {

StatusOr<PoolSpec> pool_spec_for(const ServeOptions& o) {
  if (o.policy == "ascendra") {
    if (o.pools.empty()) return PoolSpec::parse("low:1,high:1");
    return PoolSpec::parse(o.pools);
  }
  if (o.policy != "vllm" && o.policy != "sarathi") {
    return invalid_argument("unknown --policy '" + o.policy + "' (vllm, sarathi, ascendra)");
  }
  if (!o.pools.empty()) return invalid_argument("--pools is only for --policy ascendra");
  if (o.instances < 1) return invalid_argument("--instances must be >= 1");
  return PoolSpec::uniform(o.instances);
}

SchedulerConfig scheduler_config(const ServeOptions& o) {
  SchedulerConfig c;
  c.max_seqs = o.max_seqs;
  c.max_batch_tokens = o.max_batch_tokens > 0 ? o.max_batch_tokens : o.ctx_size;
  c.chunk_size = o.chunk_size;
  c.max_model_len = o.ctx_size;
  return c;
}

/// `perf` (may be null): the instance gets its own copy, refined from its own iterations.
StatusOr<std::unique_ptr<InstanceDriver>> make_driver(const ServeOptions& o, const Model& model,
                                                      const WallClock& clock, PoolRole role,
                                                      int index, int threads, const PerfModel* perf) {
  std::unique_ptr<PerfModel> own = perf ? std::make_unique<PerfModel>(*perf) : nullptr;
  PolicyContext pc;
  pc.config = scheduler_config(o);
  pc.options = o.policy_options;
  pc.perf_model = own.get();
  auto policy = make_policy(policy_name_for_pool(o.policy, role), pc);
  if (!policy) return policy.status();
  auto backend = cpu::make_cpu_backend(model, threads, static_cast<size_t>(o.kv_cache_mib) << 20,
                                       pc.config.max_batch_tokens);
  if (!backend) return backend.status();
  InstanceConfig ic;
  std::string pool = role == PoolRole::kAny ? "default" : pool_role_name(role);
  ic.name = (role == PoolRole::kAny ? std::string() : pool) + std::to_string(index);
  ic.scheduler = pc.config;
  auto instance = std::make_unique<Instance>(std::move(*backend), std::move(*policy), ic, own.get());
  return std::unique_ptr<InstanceDriver>(
      std::make_unique<CoreInstanceDriver>(std::move(instance), clock, pool, std::move(own)));
}

}  // namespace

Status validate_policy_options(const ServeOptions& o) {
  if (o.policy != "ascendra") {
    if (!o.policy_options.empty()) return invalid_argument("--policy-options is only for --policy ascendra");
    if (!o.profile.empty() && !o.admission_control) {
      return invalid_argument("--profile is only for --policy ascendra or --admission-control");
    }
    return Status::ok();
  }
  StatusOr<AscendraOptions> options = parse_ascendra_options(o.policy_options);
  if (!options) return invalid_argument("--policy-options: " + options.status().message());
  return Status::ok();
}

StatusOr<ServeEngine> build_serve_engine(const ServeOptions& o, const Model& model,
                                         const WallClock& clock) {
  StatusOr<PoolSpec> spec = pool_spec_for(o);
  if (!spec) return spec.status();
  if (o.ctx_size < 16 || o.max_seqs < 1 || o.kv_cache_mib < 1) {
    return invalid_argument("--ctx-size >= 16, --max-seqs >= 1 and --kv-cache-mib >= 1 are required");
  }
  Status valid = validate_policy_options(o);
  if (!valid.is_ok()) return valid;
  int total_threads = o.threads > 0 ? o.threads : static_cast<int>(std::thread::hardware_concurrency());
  int per_instance = std::max(1, total_threads / spec->size());
  const bool ascendra = o.policy == "ascendra";
  const AscendraOptions options = ascendra ? *parse_ascendra_options(o.policy_options) : AscendraOptions{};
  const bool admission = o.admission_control || (ascendra && options.admission);
  std::unique_ptr<PerfModel> perf;
  if (ascendra || admission) {
    StatusOr<PerfModel> fitted = serve_perf_model(o, model, per_instance);
    if (!fitted) return fitted.status();
    perf = std::make_unique<PerfModel>(std::move(*fitted));
  }
  ServeEngine engine;
  for (int i = 0; i < spec->size(); ++i) {
    auto driver = make_driver(o, model, clock, spec->roles[static_cast<size_t>(i)], i, per_instance, perf.get());
    if (!driver) return driver.status();
    engine.drivers.push_back(std::move(*driver));
  }
  if (admission) engine.admission_model = std::make_shared<const PerfModel>(*perf);
  if (ascendra && spec->is_dual()) {
    engine.router = make_dual_pool_router(options);
    engine.hand_back = options.migration;
  } else {
    engine.router = make_round_robin_router();
  }
  return engine;
}

}  // namespace asc::server
