// EngineService: the engine layer behind the HTTP server -- N engine workers (one thread per
// instance), a routing function that picks the worker for each new or offloaded request, admission
// control (--max-queue; with --admission-control also the predicted TTFT) and optional background
// monitors.
//
// The HTTP layer only calls submit() and reads loads for /metrics; adding pools, a different router
// (ticket entry, predicted delay) or a risk monitor thread changes what is passed to the
// constructor, not the HTTP layer.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "engine/core/perf_model.h"
#include "server/engine_worker.h"
#include "server/instance_driver.h"
#include "server/request_channel.h"
#include "server/wall_clock.h"

namespace asc::server {

/// What a router sees: the request and every worker's load, indexed like the workers.
struct RouteContext {
  const Request& request;
  std::span<const InstanceLoad> loads;
  std::span<const std::string> pools;  // pool label per worker
  int from_worker = -1;                // >= 0 when re-routing an offloaded request
};

/// Returns the index of the worker that takes the request.
using RouteFn = std::function<int(const RouteContext&)>;

/// Round robin over all workers (the baseline dispatch of vllm and sarathi deployments).
RouteFn make_round_robin_router();

struct EngineServiceOptions {
  int32_t max_queue = 1024;         // requests admitted but not yet scheduled, over all workers
  size_t channel_capacity = 4096;   // unread tokens per request before the engine gives up on it
  /// Hand-back migration (`--policy-options migration=1` with dual pools): pressed HIGH workers
  /// move their started decodes to LOW workers at their own boundaries (hand_back.h).
  bool hand_back = false;
  /// Admission control (`--admission-control`, or `--policy-options admission=1`): with a model,
  /// submit() refuses a request whose best predicted TTFT over the workers (their published
  /// predicted start delay plus its solo prefill) already misses its TTFT objective
  /// (kDeadlineExceeded, HTTP 429). Read-only here; each worker refines its own copy.
  std::shared_ptr<const PerfModel> admission_model;
};

class EngineService {
 public:
  /// `clock` is shared with the drivers and the HTTP layer and must outlive the service.
  EngineService(const WallClock& clock, std::vector<std::unique_ptr<InstanceDriver>> drivers,
                RouteFn router, std::function<bool(int32_t)> is_eog, EngineServiceOptions options);
  ~EngineService();
  EngineService(const EngineService&) = delete;
  EngineService& operator=(const EngineService&) = delete;

  /// Admits a request and returns the channel its tokens arrive on. ResourceExhausted when the
  /// queue is full, DeadlineExceeded when admission control predicts it misses its TTFT objective,
  /// Unavailable once draining. Never blocks on an engine thread.
  StatusOr<std::shared_ptr<RequestChannel>> submit(std::unique_ptr<Request> request);
  /// Wakes every worker so a cancel flag set on a channel is acted on at the next boundary.
  void notify_cancelled();

  /// Moves request `id`, with its KV, to worker `to_worker` at its owner's next iteration boundary.
  /// The future says whether it left its owner: false when no worker holds it now (unknown,
  /// finished, or in transit) or it is already on `to_worker`. Should the target then refuse it,
  /// it resumes at its owner (num_migrations_returned) and its stream goes on either way.
  std::future<bool> request_migration(RequestId id, int to_worker);

  /// Runs `tick` every `period` on a background thread until shutdown (e.g. an SLO risk monitor).
  void add_monitor(std::function<void(EngineService&)> tick, std::chrono::milliseconds period);

  /// Stops admitting; in-flight requests continue.
  void begin_drain() { draining_.store(true); }
  /// Waits up to `grace` for in-flight requests to finish, aborts the rest (each stream gets a
  /// final chunk) and joins the threads.
  void shutdown(std::chrono::milliseconds grace);

  const WallClock& clock() const { return clock_; }
  size_t num_workers() const { return workers_.size(); }
  const EngineWorker& worker(size_t i) const { return *workers_[i]; }
  std::vector<InstanceLoad> loads() const;
  int32_t num_queued() const { return queued_.load(); }
  int32_t num_in_flight() const;
  int64_t num_rejected() const { return rejected_.load(); }
  /// Of those, refused by admission control (predicted to miss their TTFT objective).
  int64_t num_rejected_for_slo() const { return rejected_for_slo_.load(); }
  int64_t num_offloads() const { return offloads_.load(); }
  /// Moves of started requests (mid-decode migration) between workers.
  int64_t num_migrations() const { return migrations_.load(); }
  /// Migrations refused by their target that resumed where they came from (not in num_migrations).
  int64_t num_migrations_returned() const { return migrations_returned_.load(); }
  /// Migrations that arrived without usable KV and recompute their tokens (0 with CPU backends).
  int64_t num_migrations_recomputed() const { return migrations_recomputed_.load(); }
  RequestId next_request_id() { return next_id_.fetch_add(1); }

 private:
  /// Sends a submission to the worker the router picks on `current` (the workers' loads).
  void route(Submission submission, int from_worker, const std::vector<InstanceLoad>& current);
  void monitor_loop(std::function<void(EngineService&)> tick, std::chrono::milliseconds period);

  const WallClock& clock_;
  EngineServiceOptions options_;
  RouteFn router_;
  std::vector<std::string> pools_;
  std::vector<std::unique_ptr<EngineWorker>> workers_;
  std::atomic<int32_t> queued_{0};
  std::atomic<int64_t> rejected_{0};
  std::atomic<int64_t> rejected_for_slo_{0};
  std::atomic<int64_t> offloads_{0};
  std::atomic<int64_t> migrations_{0};
  std::atomic<int64_t> migrations_returned_{0};
  std::atomic<int64_t> migrations_recomputed_{0};
  std::atomic<RequestId> next_id_{1};
  std::atomic<bool> draining_{false};

  std::mutex monitor_mutex_;
  std::condition_variable monitor_stop_;
  bool monitors_stopping_ = false;   // guarded by monitor_mutex_
  std::vector<std::thread> monitors_;
  bool shut_down_ = false;
};

}  // namespace asc::server
