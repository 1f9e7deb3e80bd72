// CoreInstanceDriver: the InstanceDriver over the decision core's Instance (policy, KV block
// bookkeeping and backend), as run by one engine thread of the server.
//
// Each step is plan_step(now) -> backend.execute(plan) -> apply(plan, result, end) where `end` is
// read from the wall clock after the backend returns, so token times are real. Offloaded requests
// are taken out of the instance (tokens only, never started) and handed to the service to re-route.
// With a performance model (owned here, read by the instance's policy) every measured iteration
// refines it (PerfModel::refine), on this engine thread only.
#pragma once

#include <memory>
#include <string>

#include "engine/core/instance.h"
#include "engine/core/perf_model.h"
#include "server/instance_driver.h"
#include "server/wall_clock.h"

namespace asc::server {

class CoreInstanceDriver final : public InstanceDriver {
 public:
  /// `perf_model`, when given, is the model `instance` and its policy were built with.
  CoreInstanceDriver(std::unique_ptr<Instance> instance, const WallClock& clock, std::string pool,
                     std::unique_ptr<PerfModel> perf_model = nullptr);

  Status submit(std::unique_ptr<Request> request) override;
  void abort(RequestId id) override;
  bool has_work() const override;
  Status step(double now_s, std::vector<DriverEvent>& events) override;
  InstanceLoad load() const override;
  std::string name() const override { return instance_->name(); }
  std::string pool() const override { return pool_; }

  Instance& instance() { return *instance_; }

 private:
  void translate_events(std::vector<DriverEvent>& events);

  std::unique_ptr<PerfModel> perf_model_;  // declared first: outlives instance_ and its policy
  std::unique_ptr<Instance> instance_;
  const WallClock& clock_;
  std::string pool_;
};

}  // namespace asc::server
