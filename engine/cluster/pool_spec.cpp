#include "engine/cluster/pool_spec.h"

#include <cstdlib>
#include <sstream>

namespace asc {

const char* pool_role_name(PoolRole role) {
  switch (role) {
    case PoolRole::kAny: return "any";
    case PoolRole::kLow: return "low";
    case PoolRole::kHigh: return "high";
  }
  return "?";
}

PoolSpec PoolSpec::uniform(int n) {
  PoolSpec s;
  s.roles.assign(static_cast<size_t>(n > 0 ? n : 0), PoolRole::kAny);
  return s;
}

StatusOr<PoolSpec> PoolSpec::parse(const std::string& text) {
  PoolSpec spec;
  std::stringstream ss(text);
  std::string part;
  while (std::getline(ss, part, ',')) {
    const size_t colon = part.find(':');
    const std::string kind = part.substr(0, colon);
    int count = 1;
    if (colon != std::string::npos) {
      const std::string num = part.substr(colon + 1);
      char* end = nullptr;
      const long v = std::strtol(num.c_str(), &end, 10);
      if (num.empty() || *end != '\0' || v < 0 || v > 1024) {
        return invalid_argument("bad instance count in pool spec '" + part + "'");
      }
      count = static_cast<int>(v);
    }
    PoolRole role;
    if (kind == "low" || kind == "lp") {
      role = PoolRole::kLow;
    } else if (kind == "high" || kind == "hp") {
      role = PoolRole::kHigh;
    } else if (kind == "any") {
      role = PoolRole::kAny;
    } else {
      return invalid_argument("unknown pool '" + kind + "' (use low:N,high:M or any:N)");
    }
    spec.roles.insert(spec.roles.end(), static_cast<size_t>(count), role);
  }
  if (spec.roles.empty()) return invalid_argument("pool spec '" + text + "' has no instances");
  return spec;
}

bool PoolSpec::is_dual() const {
  bool low = false, high = false;
  for (PoolRole r : roles) {
    low |= r == PoolRole::kLow;
    high |= r == PoolRole::kHigh;
  }
  return low && high;
}

std::string PoolSpec::to_string() const {
  std::string out;
  size_t i = 0;
  while (i < roles.size()) {
    size_t j = i;
    while (j < roles.size() && roles[j] == roles[i]) ++j;
    if (!out.empty()) out += ",";
    out += std::string(pool_role_name(roles[i])) + ":" + std::to_string(j - i);
    i = j;
  }
  return out;
}

}  // namespace asc
