// Urgency ranking of waiting requests (see ascendra_queue.h).
#include "engine/sched/ascendra_queue.h"

#include <algorithm>

#include "engine/core/perf_model.h"

namespace asc {

UrgencyInputs urgency_inputs(const Request& req, const PerfModel* model, double now) {
  UrgencyInputs in;
  in.waited_s = now - req.arrival_s;
  in.num_prompt_tokens = std::max(req.num_uncomputed(), 1);
  in.solo_prefill_s = model != nullptr ? model->predict_prefill_s(in.num_prompt_tokens) : 0.0;
  in.ttft_slo_s = req.ttft_slo_s;
  return in;
}

std::vector<RankedRequest> rank_waiting(const std::deque<Request*>& waiting, const PerfModel* model,
                                        ValueFunction fn, HopelessPlace hopeless, double now) {
  std::vector<RankedRequest> ranked;
  ranked.reserve(waiting.size());
  for (Request* req : waiting) {
    const UrgencyInputs in = urgency_inputs(*req, model, now);
    ranked.push_back({req, urgency_value(fn, in), is_hopeless(in), req->num_output_tokens() > 0});
  }
  // Class 0: resumed; 1: urgent-first hopeless (kFirst); 2: by value; 3: hopeless last (kLast).
  auto rank_class = [&](const RankedRequest& r) {
    if (r.resumed) return 0;
    if (!r.hopeless || fn != ValueFunction::kLeastSlack) return 2;  // SJF has no hopeless class
    return hopeless == HopelessPlace::kFirst ? 1 : 3;
  };
  std::stable_sort(ranked.begin(), ranked.end(), [&](const RankedRequest& a, const RankedRequest& b) {
    const int ca = rank_class(a), cb = rank_class(b);
    if (ca != cb) return ca < cb;
    if (ca == 0) return a.request->arrival_s < b.request->arrival_s;
    if (ca == 2) return a.value > b.value;
    return false;  // hopeless groups keep queue order
  });
  return ranked;
}

size_t index_in(const std::deque<Request*>& waiting, const Request* req) {
  auto it = std::find(waiting.begin(), waiting.end(), req);
  return static_cast<size_t>(it - waiting.begin());
}

}  // namespace asc
