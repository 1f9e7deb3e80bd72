// The simulator's event loop (see simulator.h). Instances are scanned linearly for the next
// completion: deployments have a handful of instances, and a scan keeps ties deterministic
// (lowest index first).
#include "engine/sim/simulator.h"

#include <algorithm>
#include <limits>
#include <memory>
#include <unordered_map>

#include "engine/cluster/dispatcher.h"
#include "engine/core/instance.h"
#include "engine/sim/sim_backend.h"

namespace asc {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr int32_t kDefaultKvBlocks = 16384;

struct SimSlot {
  std::unique_ptr<Instance> instance;
  StepPlan plan;                 // in flight when busy
  StatusOr<StepResult> result = StepResult{};
  double done_s = kInf;          // completion time of the plan in flight
};

class SimRun {
 public:
  SimRun(const PerfModel& model, const SimConfig& config, std::span<const SimArrival> arrivals)
      : model_(model), config_(config), arrivals_(arrivals) {}

  Status init();
  void run();
  SimResult take_result();

 private:
  void submit(size_t index, double now);
  void complete(size_t slot, double now);
  void start_idle(double now);
  void drain(size_t slot, double now);
  ClusterView view() const { return {instance_ptrs_, config_.pools.roles}; }

  const PerfModel& model_;
  const SimConfig& config_;
  std::span<const SimArrival> arrivals_;
  std::vector<SimSlot> slots_;
  std::vector<Instance*> instance_ptrs_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unordered_map<uint64_t, size_t> index_of_;  // arrival id -> index
  SimResult result_;
  double now_ = 0.0;
  std::vector<const SimBackend*> backends_;  // the instances' backends, for the model's error
};

Status SimRun::init() {
  const int n = config_.pools.size();
  if (n <= 0) return invalid_argument("simulation needs at least one instance");
  const int32_t blocks = config_.num_kv_blocks > 0 ? config_.num_kv_blocks
                         : model_.num_kv_blocks > 0 ? model_.num_kv_blocks : kDefaultKvBlocks;
  PolicyContext pctx;
  pctx.config = config_.scheduler;
  pctx.perf_model = &model_;
  pctx.offload_margin_s = config_.offload_margin_s;
  pctx.options = config_.policy_options;
  slots_.resize(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    const PoolRole role = config_.pools.roles[static_cast<size_t>(i)];
    StatusOr<std::unique_ptr<Policy>> policy = make_policy(policy_name_for_pool(config_.policy, role), pctx);
    if (!policy.is_ok()) return policy.status();
    InstanceConfig icfg;
    icfg.name = std::string(pool_role_name(role)) + std::to_string(i);
    icfg.scheduler = config_.scheduler;
    icfg.emit_token_events = false;
    auto backend = std::make_unique<SimBackend>(model_, blocks, 0, config_.iteration_time_s);
    backends_.push_back(backend.get());
    slots_[static_cast<size_t>(i)].instance =
        std::make_unique<Instance>(std::move(backend), std::move(*policy), icfg, &model_);
    instance_ptrs_.push_back(slots_[static_cast<size_t>(i)].instance.get());
  }
  const std::string dname = config_.dispatcher.empty() ? default_dispatcher_name(config_.pools.is_dual())
                                                       : config_.dispatcher;
  DispatcherContext dctx;
  dctx.perf_model = &model_;
  dctx.options = config_.policy_options;
  StatusOr<std::unique_ptr<Dispatcher>> d = make_dispatcher(dname, dctx);
  if (!d.is_ok()) return d.status();
  dispatcher_ = std::move(*d);
  result_.records.resize(arrivals_.size());
  result_.instance_busy_s.assign(slots_.size(), 0.0);
  result_.instance_iterations.assign(slots_.size(), 0);
  result_.instance_finished.assign(slots_.size(), 0);
  for (size_t i = 0; i < arrivals_.size(); ++i) {
    const SimArrival& a = arrivals_[i];
    if (a.num_prompt_tokens < 1 || a.num_output_tokens < 1) return invalid_argument("arrival with no tokens");
    if (i > 0 && a.arrival_s < arrivals_[i - 1].arrival_s) return invalid_argument("arrivals not sorted");
    if (!index_of_.emplace(a.id, i).second) return invalid_argument("duplicate arrival id");
    RequestRecord& r = result_.records[i];
    r.id = a.id;
    r.arrival_s = a.arrival_s;
    r.num_prompt_tokens = a.num_prompt_tokens;
    r.num_requested_output_tokens = a.num_output_tokens;
    r.ttft_slo_s = a.ttft_slo_s;
    r.tbt_slo_s = a.tbt_slo_s;
    r.error = "unfinished";
  }
  return Status::ok();
}

void SimRun::submit(size_t index, double now) {
  const SimArrival& a = arrivals_[index];
  auto req = std::make_unique<Request>(Request::with_length(a.id, a.arrival_s, a.num_prompt_tokens,
                                                            a.num_output_tokens));
  req->ignore_eos = true;
  req->ttft_slo_s = a.ttft_slo_s;
  req->tbt_slo_s = a.tbt_slo_s;
  req->priority = a.priority;
  if (Status admitted = dispatcher_->admit(*req, view(), now); !admitted.is_ok()) {
    result_.records[index].error = admitted.to_string();  // rejected at arrival: a failed record
    return;
  }
  const size_t target = dispatcher_->route(*req, view(), now);
  ASC_CHECK(target < slots_.size());
  Status s = slots_[target].instance->submit(std::move(req));
  if (!s.is_ok()) result_.records[index].error = s.to_string();
}

// Collects finished requests and re-routes offloaded ones.
void SimRun::drain(size_t slot, double now) {
  Instance& inst = *slots_[slot].instance;
  for (const EngineEvent& ev : inst.take_events()) {
    if (ev.kind != EngineEventKind::kOffloaded) continue;
    std::unique_ptr<Request> req = inst.take_request(ev.request_id);
    if (!req) continue;
    ++result_.num_offloads;
    const size_t target = dispatcher_->reroute(*req, slot, view(), now);
    ASC_CHECK(target < slots_.size());
    Status s = slots_[target].instance->submit(std::move(req));
    if (!s.is_ok()) result_.records[index_of_.at(ev.request_id)].error = s.to_string();
  }
  for (std::unique_ptr<Request>& req : inst.take_finished()) {
    RequestRecord& rec = result_.records[index_of_.at(req->id)];
    rec = req->to_record();
    ++result_.instance_finished[slot];
  }
}

void SimRun::complete(size_t i, double now) {
  SimSlot& s = slots_[i];
  s.instance->apply(s.plan, s.result, now);
  s.done_s = kInf;
  drain(i, now);
}

void SimRun::start_idle(double now) {
  bool again = true;
  for (int round = 0; again && round < 4; ++round) {  // offloads may wake another instance
    again = false;
    for (size_t i = 0; i < slots_.size(); ++i) {
      SimSlot& s = slots_[i];
      if (s.instance->busy() || !s.instance->has_work()) continue;
      s.plan = s.instance->plan_step(now);
      const int64_t before = result_.num_offloads;
      drain(i, now);
      again |= result_.num_offloads != before;
      if (s.plan.empty()) continue;
      s.result = s.instance->backend().execute(s.plan);
      const double duration = s.result.is_ok() ? s.result->duration_s : 0.0;
      s.done_s = now + duration;
      ++result_.num_iterations;
      result_.instance_busy_s[i] += duration;
      ++result_.instance_iterations[i];
    }
  }
}

void SimRun::run() {
  size_t next = 0;
  const double tick = dispatcher_->tick_interval_s();
  double next_tick = tick > 0.0 ? 0.0 : kInf;
  while (true) {
    const double t_arr = next < arrivals_.size() ? arrivals_[next].arrival_s : kInf;
    size_t done_slot = slots_.size();
    double t_done = kInf;
    for (size_t i = 0; i < slots_.size(); ++i) {
      if (slots_[i].done_s < t_done) { t_done = slots_[i].done_s; done_slot = i; }
    }
    if (t_done == kInf && t_arr == kInf) break;  // idle (or stuck: nothing can ever run)
    const double t = std::min({t_arr, t_done, next_tick});
    if (config_.max_time_s > 0.0 && t > config_.max_time_s) break;
    now_ = t;
    if (t_done <= t_arr && t_done <= next_tick) {
      complete(done_slot, t);
    } else if (t_arr <= next_tick) {
      submit(next++, t);
    } else {
      dispatcher_->on_tick(view(), t);
      next_tick = t + tick;
    }
    start_idle(t);
  }
  result_.end_time_s = now_;
  double error_sum = 0.0;
  int64_t error_count = 0;
  for (const SimBackend* b : backends_) {
    error_sum += b->model_error_sum();
    error_count += b->model_error_count();
  }
  if (error_count > 0) result_.perf_model_mape = error_sum / static_cast<double>(error_count);
}

SimResult SimRun::take_result() { return std::move(result_); }

}  // namespace

StatusOr<SimResult> simulate(const PerfModel& model, const SimConfig& config,
                             std::span<const SimArrival> arrivals) {
  SimRun run(model, config, arrivals);
  ASC_RETURN_IF_ERROR(run.init());
  run.run();
  return run.take_result();
}

}  // namespace asc
