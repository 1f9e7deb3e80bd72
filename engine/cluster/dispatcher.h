// Dispatcher: cluster-level decisions over several instances -- where a new request goes, where an
// offloaded one goes, and periodic actions (risk monitor). Works on load snapshots and instance
// references passed in, so it holds no threads or locks: the simulator calls it on its event loop,
// the server on its dispatch thread with the instances' engine threads serialised around it.
//
// Adding a dispatcher: implement this interface and add a line to the table in dispatcher.cpp.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/core/instance.h"
#include "engine/core/request.h"
#include "engine/core/status.h"
#include "engine/sched/policy.h"

namespace asc {

class PerfModel;

/// What a dispatcher sees of the deployment at one moment.
struct ClusterView {
  std::span<Instance* const> instances;  // [n]
  std::span<const PoolRole> roles;       // [n]
};

class Dispatcher {
 public:
  virtual ~Dispatcher() = default;
  virtual std::string name() const = 0;
  /// Admission control before route(): a non-ok Status rejects the request at arrival (the server
  /// answers 429/503 with its message; the simulator records a failed request). Default: admit.
  virtual Status admit(const Request& request, const ClusterView& cluster, double now) {
    return Status::ok();
  }
  /// Index of the instance a new request goes to.
  virtual size_t route(const Request& request, const ClusterView& cluster, double now) = 0;
  /// Index of the instance a request offloaded by instance `from` goes to (default: route()).
  virtual size_t reroute(const Request& request, size_t from, const ClusterView& cluster, double now) {
    return route(request, cluster, now);
  }
  /// Interval of on_tick() calls in seconds; 0 = never.
  virtual double tick_interval_s() const { return 0.0; }
  /// Periodic hook (risk monitor): may move requests between instances with
  /// Instance::take_request / attach_request. Called only while no instance has a plan in flight
  /// for the requests it moves (take_request refuses those).
  virtual void on_tick(const ClusterView& cluster, double now) {}
};

/// Sends requests to instances in turn (the baselines' dispatch).
class RoundRobinDispatcher final : public Dispatcher {
 public:
  std::string name() const override { return "round-robin"; }
  size_t route(const Request& request, const ClusterView& cluster, double now) override;

 private:
  size_t next_ = 0;
};

struct DispatcherContext {
  const PerfModel* perf_model = nullptr;
  std::string options;  // dispatcher-specific "key=value,..." (dual-pool: ascendra_options.h)
};

using DispatcherMaker = std::unique_ptr<Dispatcher> (*)(const DispatcherContext& context);
struct DispatcherEntry {
  const char* name;
  DispatcherMaker make;
};

std::vector<DispatcherEntry> dispatcher_table();
/// kInvalidArgument (listing known names) for an unknown name.
StatusOr<std::unique_ptr<Dispatcher>> make_dispatcher(const std::string& name,
                                                      const DispatcherContext& context);
/// "dual-pool" when the spec has both roles and it is registered, else "round-robin".
std::string default_dispatcher_name(bool dual_pool);

}  // namespace asc
