// Dual-pool dispatch (see dual_pool.h).
#include "engine/cluster/dual_pool.h"

#include <algorithm>
#include <limits>
#include <string>

#include "engine/core/perf_model.h"

namespace asc {
namespace {

constexpr size_t kNone = std::numeric_limits<size_t>::max();
constexpr double kTicketMinFreeKv = 0.10;

}  // namespace

bool ticket_open(const InstanceStats& hp, int32_t max_hp_load) {
  if (hp.num_waiting > 0 || hp.max_seqs <= 0 || hp.num_blocks <= 0) return false;
  const bool few_running = 2 * hp.num_running < hp.max_seqs;
  const bool kv_free = static_cast<double>(hp.num_free_blocks) / hp.num_blocks > kTicketMinFreeKv;
  const bool balanced = max_hp_load < 0 || num_carried(hp) <= max_hp_load;
  return few_running && kv_free && balanced;
}

double predicted_start_delay_s(const Instance& instance, const PerfModel* model, double now) {
  if (model == nullptr) return 0.0;
  double delay = 0.0;
  for (const Request* req : instance.state().waiting()) {
    const double solo = model->predict_prefill_s(std::max(req->num_uncomputed(), 1));
    const bool hopeless = req->ttft_slo_s > 0.0 && req->num_output_tokens() == 0 &&
                          (now - req->arrival_s) + solo >= req->ttft_slo_s;
    if (now >= 0.0 && hopeless) continue;
    delay += solo;
  }
  const auto& running = instance.state().running();
  if (!running.empty()) {
    double context = 0.0;
    for (const Request* req : running) context += req->num_tokens();
    delay += model->predict_decode_s(static_cast<int32_t>(running.size()), context / running.size());
  }
  return delay;
}

size_t DualPoolDispatcher::next_of(PoolRole role, const ClusterView& cluster, size_t& cursor) {
  const size_t n = cluster.instances.size();
  for (size_t k = 0; k < n; ++k) {
    const size_t i = (cursor + k) % n;
    if (cluster.roles[i] == role) {
      cursor = i + 1;
      return i;
    }
  }
  return kNone;
}

size_t DualPoolDispatcher::route_lp(const ClusterView& cluster) {
  if (options_.dispatch == LpDispatch::kRoundRobin) {
    size_t i = next_of(PoolRole::kLow, cluster, lp_cursor_);
    return i != kNone ? i : next_of(PoolRole::kHigh, cluster, hp_cursor_);
  }
  // Least predicted delay; ties go to the instance next in turn (keeps it balanced when idle).
  size_t best = kNone;
  double best_delay = std::numeric_limits<double>::infinity();
  const size_t n = cluster.instances.size();
  for (size_t k = 0; k < n; ++k) {
    const size_t i = (lp_cursor_ + k) % n;
    if (cluster.roles[i] != PoolRole::kLow) continue;
    const double d = predicted_start_delay_s(*cluster.instances[i], model_);
    if (d < best_delay) {
      best_delay = d;
      best = i;
    }
  }
  if (best == kNone) return next_of(PoolRole::kHigh, cluster, hp_cursor_);
  lp_cursor_ = best + 1;
  return best;
}

Status admission_check(const Request& request, const PerfModel& model, double best_start_delay_s, double now) {
  if (request.ttft_slo_s <= 0.0) return Status::ok();
  const double solo = model.predict_prefill_s(std::max(request.num_uncomputed(), 1));
  const double predicted_ttft = (now - request.arrival_s) + best_start_delay_s + solo;
  if (predicted_ttft <= request.ttft_slo_s) return Status::ok();
  return deadline_exceeded("cannot meet the TTFT objective of " +
                           std::to_string(static_cast<int64_t>(request.ttft_slo_s * 1000.0)) + " ms: predicted " +
                           std::to_string(static_cast<int64_t>(predicted_ttft * 1000.0)) +
                           " ms at the current load; retry later or with a longer objective");
}

Status DualPoolDispatcher::admit(const Request& request, const ClusterView& cluster, double now) {
  if (!options_.admission || model_ == nullptr) return Status::ok();
  double best = std::numeric_limits<double>::infinity();
  for (Instance* inst : cluster.instances) best = std::min(best, predicted_start_delay_s(*inst, model_));
  Status admitted = admission_check(request, *model_, best, now);
  if (!admitted.is_ok()) ++num_rejected_;
  return admitted;
}

size_t DualPoolDispatcher::route(const Request& request, const ClusterView& cluster, double now) {
  ASC_CHECK(!cluster.instances.empty() && cluster.instances.size() == cluster.roles.size());
  if (options_.ticket) {
    const size_t n = cluster.instances.size();
    int32_t least_lp = -1;
    if (options_.ticket_balanced) {
      for (size_t i = 0; i < n; ++i) {
        if (cluster.roles[i] != PoolRole::kLow) continue;
        const int32_t load = num_carried(cluster.instances[i]->stats());
        least_lp = least_lp < 0 ? load : std::min(least_lp, load);
      }
    }
    for (size_t k = 0; k < n; ++k) {
      const size_t i = (hp_cursor_ + k) % n;
      if (cluster.roles[i] != PoolRole::kHigh || !ticket_open(cluster.instances[i]->stats(), least_lp)) continue;
      hp_cursor_ = i + 1;
      ++num_ticket_entries_;
      return i;
    }
  }
  return route_lp(cluster);
}

size_t DualPoolDispatcher::reroute(const Request& request, size_t from, const ClusterView& cluster,
                                   double now) {
  size_t i = next_of(PoolRole::kHigh, cluster, hp_cursor_);
  if (i == kNone) return route_lp(cluster);
  if (options_.hp_aware && model_ != nullptr && request.ttft_slo_s > 0.0 && from < cluster.roles.size() &&
      cluster.roles[from] == PoolRole::kLow) {
    const double solo = model_->predict_prefill_s(std::max(request.num_uncomputed(), 1));
    const double hp_ttft =
        (now - request.arrival_s) + predicted_start_delay_s(*cluster.instances[i], model_, now) + solo;
    if (hp_ttft > request.ttft_slo_s) {
      ++num_refused_;
      return from;
    }
  }
  ++num_rerouted_;
  return i;
}

void DualPoolDispatcher::on_tick(const ClusterView& cluster, double now) {
  if (options_.migration) hand_back_decodes(cluster, model_, now, migration_);
}

std::unique_ptr<Dispatcher> make_dual_pool_dispatcher(const DispatcherContext& context) {
  auto options = parse_ascendra_options(context.options);
  ASC_CHECK_MSG(options.is_ok(), options.status().to_string());
  return std::make_unique<DualPoolDispatcher>(context.perf_model, *options);
}

}  // namespace asc
