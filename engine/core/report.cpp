// Report metrics. Design note: every statistic is computed from the raw per-token timestamps in
// RequestRecord, so bench (client clock) and simulate (virtual clock) share one definition.
// Definitions and the percentile method are documented in report.h.
#include "engine/core/report.h"

#include <algorithm>
#include <cmath>

namespace asc {
namespace {

bool within(std::optional<double> value_s, double slo_s) {
  if (slo_s <= 0.0) return true;        // no objective
  if (!value_s) return true;            // undefined (e.g. no gaps): nothing to violate
  return *value_s <= slo_s;
}

// Percentile of already sorted values (the same interpolation as percentile()).
double sorted_percentile(const std::vector<double>& sorted, double q) {
  q = std::clamp(q, 0.0, 100.0);
  const double rank = q / 100.0 * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(rank));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  const double frac = rank - static_cast<double>(lo);
  return sorted[lo] + frac * (sorted[hi] - sorted[lo]);
}

}  // namespace

double percentile(std::span<const double> values, double q) {
  if (values.empty()) return 0.0;
  // Selection instead of a full sort (O(n)): the lo-th order statistic, then the smallest value
  // after it is the (lo + 1)-th.
  std::vector<double> v(values.begin(), values.end());  // [n]
  q = std::clamp(q, 0.0, 100.0);
  const double rank = q / 100.0 * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(rank));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(lo), v.end());
  const double at_lo = v[lo];
  const double at_hi = lo + 1 < v.size() ? *std::min_element(v.begin() + static_cast<std::ptrdiff_t>(lo) + 1, v.end()) : at_lo;
  const double frac = rank - static_cast<double>(lo);
  return at_lo + frac * (at_hi - at_lo);
}

LatencyStats summarize_latency_s(std::span<const double> samples_s) {
  LatencyStats s;
  s.count = samples_s.size();
  if (samples_s.empty()) return s;
  double sum = 0.0;
  for (double x : samples_s) sum += x;
  const double mean = sum / static_cast<double>(samples_s.size());
  double sq = 0.0;
  for (double x : samples_s) sq += (x - mean) * (x - mean);
  s.mean_ms = mean * 1e3;
  s.std_ms = std::sqrt(sq / static_cast<double>(samples_s.size())) * 1e3;
  std::vector<double> sorted(samples_s.begin(), samples_s.end());  // [n], sorted once for 3 ranks
  std::sort(sorted.begin(), sorted.end());
  s.median_ms = sorted_percentile(sorted, 50.0) * 1e3;
  s.p90_ms = sorted_percentile(sorted, 90.0) * 1e3;
  s.p99_ms = sorted_percentile(sorted, 99.0) * 1e3;
  return s;
}

RequestMetrics compute_request_metrics(const RequestRecord& r) {
  RequestMetrics m;
  const std::vector<double>& t = r.token_times_s;  // [num tokens seen]
  if (!r.success || t.empty()) return m;           // a miss; no latencies
  m.ttft_s = t.front() - r.arrival_s;
  m.e2e_s = t.back() - r.arrival_s;
  if (t.size() >= 2) {
    m.tpot_s = (t.back() - t.front()) / static_cast<double>(t.size() - 1);
    std::vector<double> gaps;  // [n - 1]
    gaps.reserve(t.size() - 1);
    for (size_t i = 1; i < t.size(); ++i) gaps.push_back(t[i] - t[i - 1]);
    m.p99_gap_s = percentile(gaps, 99.0);
    m.max_gap_s = *std::max_element(gaps.begin(), gaps.end());
  }
  const bool ttft_ok = within(m.ttft_s, r.ttft_slo_s);
  m.meets_slo = ttft_ok && within(m.tpot_s, r.tbt_slo_s);
  m.meets_strict_slo = ttft_ok && within(m.p99_gap_s, r.tbt_slo_s);
  return m;
}

Report compute_report(std::span<const RequestRecord> records, double duration_s) {
  Report rep;
  rep.num_requests = records.size();
  rep.duration_s = duration_s;
  std::vector<double> ttfts, tpots, itls, e2els;  // seconds
  for (const RequestRecord& r : records) {
    rep.total_offloads += r.num_offloads;
    rep.total_migrations += r.num_migrations;
    rep.total_preemptions += r.num_preemptions;
    const RequestMetrics m = compute_request_metrics(r);
    if (m.meets_slo) ++rep.num_slo_met;
    if (m.meets_strict_slo) ++rep.num_strict_slo_met;
    if (!r.success) {
      ++rep.failed;
      continue;
    }
    ++rep.completed;
    rep.total_input_tokens += r.num_prompt_tokens;
    rep.total_output_tokens += r.num_output_tokens;
    if (m.ttft_s) ttfts.push_back(*m.ttft_s);
    if (m.e2e_s) e2els.push_back(*m.e2e_s);
    if (m.tpot_s) tpots.push_back(*m.tpot_s);
    for (size_t i = 1; i < r.token_times_s.size(); ++i) {
      itls.push_back(r.token_times_s[i] - r.token_times_s[i - 1]);
    }
  }
  rep.ttft = summarize_latency_s(ttfts);
  rep.tpot = summarize_latency_s(tpots);
  rep.itl = summarize_latency_s(itls);
  rep.e2el = summarize_latency_s(e2els);
  if (!records.empty()) {
    rep.slo_attainment = static_cast<double>(rep.num_slo_met) / static_cast<double>(records.size());
    rep.strict_slo_attainment =
        static_cast<double>(rep.num_strict_slo_met) / static_cast<double>(records.size());
  }
  if (duration_s > 0.0) {
    rep.request_throughput = static_cast<double>(rep.completed) / duration_s;
    rep.output_throughput = static_cast<double>(rep.total_output_tokens) / duration_s;
    rep.total_token_throughput =
        static_cast<double>(rep.total_input_tokens + rep.total_output_tokens) / duration_s;
    rep.request_goodput = static_cast<double>(rep.num_slo_met) / duration_s;
  }
  return rep;
}

std::optional<double> capacity_qps(std::span<const SweepRun> runs, double target, bool strict) {
  auto attainment = [strict](const SweepRun& run) {
    return strict ? run.report.strict_slo_attainment : run.report.slo_attainment;
  };
  for (size_t i = 0; i + 1 < runs.size(); ++i) {
    const double a0 = attainment(runs[i]);
    const double a1 = attainment(runs[i + 1]);
    if (a0 >= target && a1 < target) {
      const double q0 = runs[i].qps;
      const double q1 = runs[i + 1].qps;
      return q0 + (a0 - target) / (a0 - a1) * (q1 - q0);
    }
  }
  return std::nullopt;
}

SweepResult make_sweep_result(std::vector<SweepRun> runs) {
  std::stable_sort(runs.begin(), runs.end(),
                   [](const SweepRun& a, const SweepRun& b) { return a.qps < b.qps; });
  SweepResult sweep;
  sweep.runs = std::move(runs);
  sweep.capacity_qps_90 = capacity_qps(sweep.runs, 0.90);
  sweep.capacity_qps_99 = capacity_qps(sweep.runs, 0.99);
  return sweep;
}

}  // namespace asc
