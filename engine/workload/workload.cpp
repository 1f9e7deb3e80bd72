// Workload builder. Design note: row selection, length scaling and arrivals use independent
// streams derived from one seed (seed, seed ^ constant), so changing the rate does not change which
// rows are picked -- a sweep sends the same requests at every rate, only faster.
#include "engine/workload/workload.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace asc::workload {
namespace {

constexpr uint64_t kArrivalStreamSalt = 0x9e3779b97f4a7c15ULL;

// Row indices: seeded passes of a Fisher-Yates shuffle (without replacement within a pass),
// or file order, wrapping around when count exceeds the trace.
std::vector<size_t> pick_rows(size_t num_rows, size_t count, bool in_order, uint64_t seed) {
  std::vector<size_t> picked;  // [count]
  picked.reserve(count);
  if (in_order) {
    for (size_t i = 0; i < count; ++i) picked.push_back(i % num_rows);
    return picked;
  }
  Rng rng(seed);
  std::vector<size_t> perm(num_rows);
  while (picked.size() < count) {
    std::iota(perm.begin(), perm.end(), size_t{0});
    const size_t take = std::min(num_rows, count - picked.size());
    for (size_t i = 0; i < take; ++i) {  // partial shuffle: the first `take` slots are the sample
      const size_t j = i + static_cast<size_t>(rng.uniform_index(num_rows - i));
      std::swap(perm[i], perm[j]);
      picked.push_back(perm[i]);
    }
  }
  return picked;
}

// Replay: rows in file order with their own timestamps; count or duration limits the prefix.
StatusOr<std::vector<std::pair<size_t, double>>> replay_plan(const Trace& trace, const WorkloadOptions& o) {
  std::vector<double> ts;  // [rows] seconds since the first row
  ts.reserve(trace.rows.size());
  for (const TraceRow& r : trace.rows) ts.push_back(r.timestamp_s.value_or(0.0));
  StatusOr<std::vector<double>> arrivals = replay_arrivals(ts, o.time_scale);
  if (!arrivals) return arrivals.status();
  std::vector<std::pair<size_t, double>> plan;
  for (size_t i = 0; i < arrivals->size(); ++i) {
    if (o.num_requests > 0 && plan.size() >= o.num_requests) break;
    if (o.num_requests == 0 && o.duration_s > 0.0 && (*arrivals)[i] >= o.duration_s) break;
    plan.emplace_back(i, (*arrivals)[i]);
  }
  return plan;
}

// Generated arrivals (Poisson or Gamma) with sampled or in-order rows.
std::vector<std::pair<size_t, double>> generated_plan(const Trace& trace, const WorkloadOptions& o) {
  const double burstiness = o.arrivals == ArrivalKind::kPoisson ? 1.0 : o.burstiness;
  const uint64_t arrival_seed = o.seed ^ kArrivalStreamSalt;
  std::vector<double> arrivals;
  if (o.num_requests > 0) {
    arrivals = gamma_arrivals(o.num_requests, o.rate_qps, burstiness, arrival_seed);
  } else if (o.duration_s > 0.0) {
    arrivals = gamma_arrivals_until(o.duration_s, o.rate_qps, burstiness, arrival_seed);
  } else {
    arrivals = gamma_arrivals(trace.rows.size(), o.rate_qps, burstiness, arrival_seed);
  }
  std::vector<size_t> rows = pick_rows(trace.rows.size(), arrivals.size(), o.sample_in_order, o.seed);
  std::vector<std::pair<size_t, double>> plan;
  plan.reserve(arrivals.size());
  for (size_t i = 0; i < arrivals.size(); ++i) plan.emplace_back(rows[i], arrivals[i]);
  return plan;
}

}  // namespace

int32_t scale_and_clip_length(int32_t tokens, double length_scale, int32_t max_tokens) {
  double scaled = std::round(static_cast<double>(tokens) * length_scale);
  if (max_tokens > 0) scaled = std::min(scaled, static_cast<double>(max_tokens));
  scaled = std::min(scaled, static_cast<double>(INT32_MAX));
  return std::max<int32_t>(1, static_cast<int32_t>(scaled));
}

Status validate_workload_options(const Trace& trace, const WorkloadOptions& o) {
  if (trace.rows.empty()) return invalid_argument("trace '" + trace.source + "' has no rows");
  if (!(o.length_scale > 0.0)) return invalid_argument("length scale must be > 0");
  if (o.max_prompt_tokens < 0 || o.max_output_tokens < 0) {
    return invalid_argument("max prompt/output tokens must be >= 0 (0 = no limit)");
  }
  if (o.duration_s < 0.0) return invalid_argument("duration must be >= 0");
  if (o.ttft_slo_s < 0.0 || o.tbt_slo_s < 0.0) return invalid_argument("SLOs must be >= 0");
  if (o.arrivals == ArrivalKind::kReplay) {
    if (!trace.has_timestamps()) {
      return invalid_argument("trace '" + trace.source + "' (" + trace_format_name(trace.format) +
                              ") has no timestamps to replay; use a rate instead");
    }
    if (!(o.time_scale > 0.0)) return invalid_argument("time scale must be > 0");
    return Status::ok();
  }
  if (!(o.rate_qps > 0.0) || !std::isfinite(o.rate_qps)) {
    return invalid_argument("request rate must be a finite number > 0");
  }
  if (!(o.burstiness > 0.0) || !std::isfinite(o.burstiness)) {
    return invalid_argument("burstiness must be a finite number > 0");
  }
  return Status::ok();
}

StatusOr<std::vector<WorkloadRequest>> build_workload(const Trace& trace, const WorkloadOptions& o) {
  ASC_RETURN_IF_ERROR(validate_workload_options(trace, o));
  std::vector<std::pair<size_t, double>> plan;  // (row, arrival_s)
  if (o.arrivals == ArrivalKind::kReplay) {
    StatusOr<std::vector<std::pair<size_t, double>>> p = replay_plan(trace, o);
    if (!p) return p.status();
    plan = std::move(p).value();
  } else {
    plan = generated_plan(trace, o);
  }
  std::vector<WorkloadRequest> requests;
  requests.reserve(plan.size());
  for (const auto& [row, arrival_s] : plan) {
    const TraceRow& r = trace.rows[row];
    WorkloadRequest w;
    w.id = requests.size();
    w.arrival_s = arrival_s;
    w.prompt_tokens = scale_and_clip_length(r.prompt_tokens, o.length_scale, o.max_prompt_tokens);
    w.output_tokens = scale_and_clip_length(r.output_tokens, o.length_scale, o.max_output_tokens);
    w.ttft_slo_s = o.ttft_slo_s;
    w.tbt_slo_s = o.tbt_slo_s;
    w.trace_row = row;
    requests.push_back(w);
  }
  return requests;
}

}  // namespace asc::workload
