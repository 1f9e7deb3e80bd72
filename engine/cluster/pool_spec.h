// PoolSpec: which instances a deployment has and the role of each ("low:2,high:1" -> L L H).
#pragma once

#include <string>
#include <vector>

#include "engine/core/status.h"
#include "engine/sched/policy.h"

namespace asc {

struct PoolSpec {
  std::vector<PoolRole> roles;  // [num instances]

  /// n instances of role kAny (round-robin baselines).
  static PoolSpec uniform(int n);
  /// Parses "low:2,high:1" (also "lp"/"hp", "any:N"); kInvalidArgument on bad text or 0 instances.
  static StatusOr<PoolSpec> parse(const std::string& text);
  int size() const { return static_cast<int>(roles.size()); }
  bool is_dual() const;  // has both low and high instances
  std::string to_string() const;
};

const char* pool_role_name(PoolRole role);

}  // namespace asc
