// The table of registered policies. Add a line here for a new policy.
#include <string>

#include "engine/sched/policy.h"
#include "engine/sched/ascendra_hp_policy.h"
#include "engine/sched/ascendra_lp_policy.h"
#include "engine/sched/sarathi_policy.h"
#include "engine/sched/vllm_policy.h"

namespace asc {

std::vector<PolicyEntry> policy_table() {
  return {
      {"vllm", &make_vllm_policy, "prefill-first, whole prompts, recompute preemption"},
      {"sarathi", &make_sarathi_policy, "stall-free chunked prefill under a token budget"},
      {"ascendra-lp", &make_ascendra_lp_policy, "Ascendra low-priority pool: urgency packing + offload"},
      {"ascendra-hp", &make_ascendra_hp_policy, "Ascendra high-priority pool: prefill-first, least slack first"},
  };
}

StatusOr<std::unique_ptr<Policy>> make_policy(const std::string& name, const PolicyContext& context) {
  std::string known;
  for (const PolicyEntry& e : policy_table()) {
    if (name == e.name) return e.make(context);
    known += known.empty() ? e.name : std::string(", ") + e.name;
  }
  return invalid_argument("unknown policy '" + name + "' (known: " + known + ")");
}

std::string policy_name_for_pool(const std::string& name, PoolRole role) {
  if (role == PoolRole::kAny) return name;
  const std::string candidate = name + (role == PoolRole::kLow ? "-lp" : "-hp");
  for (const PolicyEntry& e : policy_table()) {
    if (candidate == e.name) return candidate;
  }
  return name;
}

}  // namespace asc
