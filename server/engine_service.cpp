#include "server/engine_service.h"

#include <algorithm>
#include <limits>
#include <thread>
#include <utility>

#include "engine/cluster/dual_pool.h"
#include "engine/cluster/pool_spec.h"
#include "server/hand_back.h"

namespace asc::server {

RouteFn make_round_robin_router() {
  auto next = std::make_shared<std::atomic<uint64_t>>(0);
  return [next](const RouteContext& ctx) -> int {
    if (ctx.loads.empty()) return 0;
    return static_cast<int>(next->fetch_add(1) % ctx.loads.size());
  };
}

EngineService::EngineService(const WallClock& clock,
                             std::vector<std::unique_ptr<InstanceDriver>> drivers, RouteFn router,
                             std::function<bool(int32_t)> is_eog, EngineServiceOptions options)
    : clock_(clock), options_(options), router_(std::move(router)) {
  ASC_CHECK_MSG(!drivers.empty(), "an engine service needs at least one instance");
  WorkerCallbacks callbacks;
  callbacks.is_eog = std::move(is_eog);
  callbacks.offload = [this](Submission s, int from) {
    // A move of a request that had started (produced tokens) is a migration; else an offload.
    const bool started = s.request && s.request->num_output_tokens() > 0;
    (started ? migrations_ : offloads_).fetch_add(1);
    route(std::move(s), from, loads());
  };
  callbacks.on_dequeued = [this] { queued_.fetch_sub(1); };
  callbacks.migrate = [this](Submission s, int to) {
    workers_[static_cast<size_t>(to)]->submit(std::move(s));
  };
  callbacks.on_migrated = [this](AttachOutcome outcome, bool returned) {
    (returned ? migrations_returned_ : migrations_).fetch_add(1);
    if (outcome == AttachOutcome::kRecompute) migrations_recomputed_.fetch_add(1);
  };
  for (const auto& d : drivers) pools_.push_back(d->pool());
  for (size_t i = 0; i < drivers.size(); ++i) {
    WorkerCallbacks own = callbacks;
    if (options_.hand_back && pools_[i] == pool_role_name(PoolRole::kHigh)) {
      own.plan_hand_back = [this](std::span<const Request* const> candidates) {
        return plan_hand_back(candidates, loads(), pools_);
      };
    }
    workers_.push_back(std::make_unique<EngineWorker>(static_cast<int>(i), std::move(drivers[i]),
                                                      clock_, std::move(own)));
  }
  for (auto& w : workers_) w->start();
}

EngineService::~EngineService() { shutdown(std::chrono::milliseconds(0)); }

std::vector<InstanceLoad> EngineService::loads() const {
  std::vector<InstanceLoad> out;
  out.reserve(workers_.size());
  for (const auto& w : workers_) out.push_back(w->load());
  return out;
}

int32_t EngineService::num_in_flight() const {
  int32_t n = 0;
  for (const auto& w : workers_) n += w->num_active();
  return n;
}

StatusOr<std::shared_ptr<RequestChannel>> EngineService::submit(std::unique_ptr<Request> request) {
  if (draining_.load()) return unavailable("the server is shutting down");
  std::vector<InstanceLoad> current = loads();  // one snapshot for admission and routing
  if (options_.admission_model) {
    double best = std::numeric_limits<double>::infinity();
    for (const InstanceLoad& l : current) best = std::min(best, l.predicted_start_delay_s);
    Status admitted = admission_check(*request, *options_.admission_model, best, clock_.now_s());
    if (!admitted.is_ok()) {
      rejected_.fetch_add(1);
      rejected_for_slo_.fetch_add(1);
      return admitted;
    }
  }
  if (queued_.fetch_add(1) >= options_.max_queue) {
    queued_.fetch_sub(1);
    rejected_.fetch_add(1);
    return resource_exhausted("the request queue is full (" + std::to_string(options_.max_queue) +
                              " waiting); retry later");
  }
  auto channel = std::make_shared<RequestChannel>(options_.channel_capacity);
  Submission submission;
  submission.request = std::move(request);
  submission.channel = channel;
  route(std::move(submission), -1, current);
  return channel;
}

void EngineService::route(Submission submission, int from_worker, const std::vector<InstanceLoad>& current) {
  RouteContext ctx{*submission.request, current, pools_, from_worker};
  int target = router_ ? router_(ctx) : 0;
  if (target < 0 || static_cast<size_t>(target) >= workers_.size()) target = 0;
  workers_[static_cast<size_t>(target)]->submit(std::move(submission));
}

std::future<bool> EngineService::request_migration(RequestId id, int to_worker) {
  // Every worker is asked (the service does not track owners); the owner answers, and once all
  // have said "not here" the answer is no.
  struct Reply {
    std::mutex mutex;
    size_t pending;
    bool answered = false;
    std::promise<bool> promise;
  };
  auto reply = std::make_shared<Reply>();
  reply->pending = workers_.size();
  std::future<bool> answer = reply->promise.get_future();
  if (to_worker < 0 || static_cast<size_t>(to_worker) >= workers_.size()) {
    reply->promise.set_value(false);
    return answer;
  }
  for (auto& w : workers_) {
    w->request_move(MoveOrder{id, to_worker, [reply](int outcome) {
      std::lock_guard lock(reply->mutex);
      --reply->pending;
      if (reply->answered || (outcome < 0 && reply->pending > 0)) return;
      reply->answered = true;
      reply->promise.set_value(outcome > 0);
    }});
  }
  return answer;
}

void EngineService::notify_cancelled() {
  for (auto& w : workers_) w->wake();
}

void EngineService::add_monitor(std::function<void(EngineService&)> tick,
                                std::chrono::milliseconds period) {
  monitors_.emplace_back([this, tick = std::move(tick), period] { monitor_loop(tick, period); });
}

void EngineService::monitor_loop(std::function<void(EngineService&)> tick,
                                 std::chrono::milliseconds period) {
  std::unique_lock lock(monitor_mutex_);
  while (!monitor_stop_.wait_for(lock, period, [&] { return monitors_stopping_; })) {
    lock.unlock();
    tick(*this);
    lock.lock();
  }
}

void EngineService::shutdown(std::chrono::milliseconds grace) {
  if (shut_down_) return;
  shut_down_ = true;
  begin_drain();
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (num_in_flight() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  {
    std::lock_guard lock(monitor_mutex_);
    monitors_stopping_ = true;
  }
  monitor_stop_.notify_all();
  for (auto& t : monitors_) t.join();
  for (auto& w : workers_) w->stop();  // aborts the rest with a final chunk
}

}  // namespace asc::server
