// Dispatchers and their registration table. Add a line to dispatcher_table() for a new one.
#include "engine/cluster/dispatcher.h"

#include "engine/cluster/dual_pool.h"

namespace asc {
namespace {

std::unique_ptr<Dispatcher> make_round_robin(const DispatcherContext&) {
  return std::make_unique<RoundRobinDispatcher>();
}

}  // namespace

size_t RoundRobinDispatcher::route(const Request& request, const ClusterView& cluster, double now) {
  ASC_CHECK(!cluster.instances.empty());
  const size_t i = next_ % cluster.instances.size();
  next_ = i + 1;
  return i;
}

std::vector<DispatcherEntry> dispatcher_table() {
  return {
      {"round-robin", &make_round_robin},
      {"dual-pool", &make_dual_pool_dispatcher},
  };
}

StatusOr<std::unique_ptr<Dispatcher>> make_dispatcher(const std::string& name,
                                                      const DispatcherContext& context) {
  std::string known;
  for (const DispatcherEntry& e : dispatcher_table()) {
    if (name == e.name) return e.make(context);
    known += known.empty() ? e.name : std::string(", ") + e.name;
  }
  return invalid_argument("unknown dispatcher '" + name + "' (known: " + known + ")");
}

std::string default_dispatcher_name(bool dual_pool) {
  if (dual_pool) {
    for (const DispatcherEntry& e : dispatcher_table()) {
      if (std::string(e.name) == "dual-pool") return "dual-pool";
    }
  }
  return "round-robin";
}

}  // namespace asc
