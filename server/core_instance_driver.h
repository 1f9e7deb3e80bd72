// CoreInstanceDriver: the InstanceDriver over the decision core's Instance (policy, KV block
// bookkeeping and backend), as run by one engine thread of the server.
//
// Each step is plan_step(now) -> backend.execute(plan) -> apply(plan, result, end) where `end` is
// read from the wall clock after the backend returns, so token times are real. Offloaded requests
// are taken out of the instance (tokens only, never started) and handed to the service to re-route.
// With a performance model (owned here, read by the instance's policy) every measured iteration
// refines it (PerfModel::refine), on this engine thread only; the prediction error just before each
// refinement is kept over a recent window and published as the load's perf_model_mape.
// Migration (detach/attach) moves a started request with its KV bytes between instances.
#pragma once

#include <array>
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
  std::unique_ptr<Request> detach(RequestId id, std::vector<uint8_t>& kv) override;
  AttachOutcome attach(std::unique_ptr<Request>& request, std::span<const uint8_t> kv,
                       bool recompute_ok) override;
  std::vector<const Request*> hand_back_candidates() const override;

  Instance& instance() { return *instance_; }

 private:
  void translate_events(std::vector<DriverEvent>& events);
  /// Records the model's prediction error on a measured iteration, before refine() learns from it.
  void record_error(const BatchShape& shape, double measured_s);

  // Absolute relative errors of the last kErrorWindow predictions (a ring), for perf_model_mape.
  static constexpr size_t kErrorWindow = 64;
  std::array<double, kErrorWindow> errors_{};
  size_t num_errors_ = 0;

  std::unique_ptr<PerfModel> perf_model_;  // declared first: outlives instance_ and its policy
  std::unique_ptr<Instance> instance_;
  const WallClock& clock_;
  std::string pool_;
};

}  // namespace asc::server
