// The proactive-offload rule (see risk_monitor.h).
#include "engine/cluster/risk_monitor.h"

#include <algorithm>

#include "engine/core/perf_model.h"

namespace asc {

double full_batch_time_s(const PerfModel* model, const SchedulerConfig& config) {
  if (model == nullptr || config.max_batch_tokens <= 0) return 0.0;
  return model->predict_prefill_s(config.max_batch_tokens);
}

double RiskMonitor::predicted_ttft_s(const Request& req, double batch_time_s, double now) const {
  const double solo = model_ != nullptr ? model_->predict_prefill_s(std::max(req.num_uncomputed(), 1)) : 0.0;
  return (now - req.arrival_s) + std::max(batch_time_s, solo) + margin_s_;
}

bool RiskMonitor::at_risk(const Request& req, double batch_time_s, double now) const {
  // A request is offloaded at most once (one the HP pool refused stays where it is).
  if (!req.never_started() || req.ttft_slo_s <= 0.0 || req.num_offloads > 0) return false;
  return predicted_ttft_s(req, batch_time_s, now) > req.ttft_slo_s;
}

std::vector<Request*> RiskMonitor::select(const std::deque<Request*>& waiting, double batch_time_s,
                                          double now) const {
  std::vector<Request*> out;
  for (Request* req : waiting) {
    if (at_risk(*req, batch_time_s, now)) out.push_back(req);
  }
  return out;
}

std::vector<Request*> RiskMonitor::select_by_queue(const std::vector<Request*>& ranked,
                                                   const BatchShape& decodes, double batch_time_s,
                                                   double now) const {
  std::vector<Request*> out;
  BatchShape next = decodes;  // grows with each prompt ranked ahead
  for (Request* req : ranked) {
    next.add_prefill(req->num_computed, std::max(req->num_uncomputed(), 1), true);
    if (!req->never_started() || req->ttft_slo_s <= 0.0 || req->num_offloads > 0) continue;
    const double next_s = model_ != nullptr ? model_->predict_s(next) : 0.0;
    if ((now - req->arrival_s) + batch_time_s + next_s > req->ttft_slo_s) out.push_back(req);
  }
  return out;
}

}  // namespace asc
