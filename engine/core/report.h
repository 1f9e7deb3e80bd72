// The run report: latency distributions, throughput and SLO attainment from RequestRecords.
//
// Shared by `ascendra bench` (client-side timings) and `ascendra simulate` (virtual clock); both
// print format_report_table() and write report_to_json(). Pure functions: no clock reads, no
// threads; the caller supplies the run's duration.
//
// Definitions (docs: DESIGN.md section 5; key names follow `vllm bench serve`):
//   TTFT   token_times_s[0] - arrival_s                        (completed requests with >= 1 token)
//   TPOT   (t_last - t_first) / (n_out - 1)                    (completed requests with >= 2 tokens)
//   ITL    every gap t[i] - t[i-1] of every completed request   (pooled)
//   E2E    t_last - arrival_s                                  (completed requests with >= 1 token)
//   slo_attainment         share of ALL records with TTFT <= ttft_slo and TPOT <= tbt_slo
//   strict_slo_attainment  share of ALL records with TTFT <= ttft_slo and p99 of own gaps <= tbt_slo
//   request_goodput        records meeting slo_attainment's test, per second of duration
// An SLO of 0 means "no objective" (always met). A request with one token has no gaps, so its TBT
// tests pass. Failed records (success == false) and successful ones without any token are misses.
// Percentiles use linear interpolation between closest ranks, numpy's default ("linear"):
//   rank = q/100 * (n-1); value = x[floor(rank)] + frac(rank) * (x[ceil(rank)] - x[floor(rank)]).
// Empty distributions report 0 for every statistic (as vLLM does).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/core/request_record.h"

namespace asc {

/// numpy-style linear-interpolation percentile, q in [0, 100]. `values` need not be sorted.
/// Returns 0 for an empty input.
double percentile(std::span<const double> values, double q);

/// Summary of one latency distribution, in milliseconds.
struct LatencyStats {
  size_t count = 0;
  double mean_ms = 0.0;
  double std_ms = 0.0;     // population standard deviation (numpy default, ddof = 0)
  double median_ms = 0.0;
  double p90_ms = 0.0;
  double p99_ms = 0.0;
};

/// Statistics of samples given in seconds.
LatencyStats summarize_latency_s(std::span<const double> samples_s);

/// What one record contributes; fields are absent where undefined.
struct RequestMetrics {
  std::optional<double> ttft_s;
  std::optional<double> tpot_s;        // needs >= 2 tokens
  std::optional<double> e2e_s;
  std::optional<double> p99_gap_s;     // needs >= 2 tokens
  std::optional<double> max_gap_s;
  bool meets_slo = false;              // TTFT and TPOT objectives
  bool meets_strict_slo = false;       // TTFT and per-request p99 gap objectives
};

/// Metrics of one record (see the definitions above).
RequestMetrics compute_request_metrics(const RequestRecord& record);

struct Report {
  size_t num_requests = 0;             // records given (completed + failed)
  size_t completed = 0;
  size_t failed = 0;
  double duration_s = 0.0;
  int64_t total_input_tokens = 0;      // over completed requests (as vLLM)
  int64_t total_output_tokens = 0;     // over completed requests
  double request_throughput = 0.0;     // completed / duration
  double output_throughput = 0.0;      // total_output_tokens / duration
  double total_token_throughput = 0.0; // (input + output) / duration
  LatencyStats ttft, tpot, itl, e2el;
  size_t num_slo_met = 0;
  size_t num_strict_slo_met = 0;
  double slo_attainment = 0.0;         // num_slo_met / num_requests (0 when no records)
  double strict_slo_attainment = 0.0;
  double request_goodput = 0.0;        // num_slo_met / duration
  int64_t total_offloads = 0;
  int64_t total_migrations = 0;
  int64_t total_preemptions = 0;
  /// Mean absolute percentage error (fraction) of the policies' performance model against the
  /// iteration times actually charged (simulation with a ground truth); < 0 when not measured.
  double perf_model_mape = -1.0;
};

/// Computes the report. duration_s <= 0 yields zero rates (no division by zero).
Report compute_report(std::span<const RequestRecord> records, double duration_s);

/// JSON object with vLLM-compatible keys (mean_ttft_ms, median_ttft_ms, p90_ttft_ms, p99_ttft_ms,
/// std_ttft_ms, the same for tpot, itl and e2el, completed, failed, duration, duration_s,
/// total_input_tokens, total_output_tokens, request_throughput, output_throughput,
/// total_token_throughput, request_goodput) plus slo_attainment, strict_slo_attainment,
/// num_slo_met, num_strict_slo_met, total_offloads, total_migrations, total_preemptions, and
/// perf_model_mape when measured.
nlohmann::json report_to_json(const Report& report);

/// Human-readable table in the style of `vllm bench serve`, ending with a newline.
std::string format_report_table(const Report& report, std::string_view title);

/// One row per record for --per-request CSV output. header + rows, each ending in '\n'.
/// Columns: id,arrival_s,success,num_prompt_tokens,num_output_tokens,num_requested_output_tokens,
/// ttft_ms,tpot_ms,e2e_ms,p99_gap_ms,max_gap_ms,ttft_slo_ms,tbt_slo_ms,meets_slo,meets_strict_slo,error
std::string per_request_csv_header();
std::string per_request_csv_row(const RequestRecord& record);

/// One rate of a sweep.
struct SweepRun {
  double qps = 0.0;
  Report report;
};

struct SweepResult {
  std::vector<SweepRun> runs;               // sorted by qps
  std::optional<double> capacity_qps_90;    // rate where slo_attainment falls below 0.90
  std::optional<double> capacity_qps_99;
};

/// The rate at which attainment first falls below `target` (e.g. 0.9), by linear interpolation
/// between the last run at or above the target and the next run below it, scanning by ascending
/// qps. nullopt when no such pair exists (never reached in range, or never falls below).
std::optional<double> capacity_qps(std::span<const SweepRun> runs_sorted, double target,
                                   bool strict = false);

/// Sorts the runs by qps and computes both capacities.
SweepResult make_sweep_result(std::vector<SweepRun> runs);

/// {"runs": [{"qps": q, ...report_to_json...}], "capacity_qps_90": x|null, "capacity_qps_99": x|null,
///  "strict_capacity_qps_90": x|null}
nlohmann::json sweep_to_json(const SweepResult& sweep);

/// Table: one line per rate (qps, attainment, strict attainment, goodput, p99 TTFT, p99 TPOT)
/// then the capacities.
std::string format_sweep_table(const SweepResult& sweep);

}  // namespace asc
