// Report metrics on fabricated timelines with hand-computed answers; percentiles against numpy;
// sweep capacity interpolation; JSON keys and nulls.
#include <gtest/gtest.h>

#include <vector>

#include "engine/core/report.h"

namespace asc {
namespace {

RequestRecord record(uint64_t id, double arrival, std::vector<double> times, int32_t prompt,
                     double ttft_slo, double tbt_slo) {
  RequestRecord r;
  r.id = id;
  r.arrival_s = arrival;
  r.num_output_tokens = static_cast<int32_t>(times.size());
  r.num_requested_output_tokens = r.num_output_tokens;
  r.token_times_s = std::move(times);
  r.num_prompt_tokens = prompt;
  r.ttft_slo_s = ttft_slo;
  r.tbt_slo_s = tbt_slo;
  r.success = true;
  return r;
}

// R0 meets both; R1 meets TPOT but not its p99 gap; R2 misses TTFT; R3 failed; R4 one token.
std::vector<RequestRecord> fabricated() {
  std::vector<RequestRecord> rs;
  rs.push_back(record(0, 0.0, {0.5, 0.6, 0.7, 0.8}, 10, 1.0, 0.15));
  rs.push_back(record(1, 1.0, {1.2, 1.25, 1.30, 1.75}, 20, 1.0, 0.2));
  rs.push_back(record(2, 2.0, {4.0}, 30, 1.0, 0.2));
  RequestRecord failed = record(3, 2.5, {}, 40, 1.0, 0.2);
  failed.success = false;
  failed.error = "HTTP 500";
  failed.num_offloads = 1;
  rs.push_back(failed);
  RequestRecord single = record(4, 3.0, {3.1}, 50, 1.0, 0.2);
  single.num_migrations = 2;
  single.num_preemptions = 3;
  rs.push_back(single);
  return rs;
}

TEST(ReportTest, PercentileMatchesNumpyLinear) {
  // numpy.percentile([3, 1, 4, 1.5, 9, 2.6, 5], q) for q = 0, 25, 50, 90, 99, 100.
  const std::vector<double> v = {3.0, 1.0, 4.0, 1.5, 9.0, 2.6, 5.0};
  EXPECT_DOUBLE_EQ(percentile(v, 0), 1.0);
  EXPECT_NEAR(percentile(v, 25), 2.05, 1e-12);
  EXPECT_DOUBLE_EQ(percentile(v, 50), 3.0);
  EXPECT_NEAR(percentile(v, 90), 6.6, 1e-12);
  EXPECT_NEAR(percentile(v, 99), 8.76, 1e-12);
  EXPECT_DOUBLE_EQ(percentile(v, 100), 9.0);
  EXPECT_DOUBLE_EQ(percentile(std::vector<double>{}, 50), 0.0);
  EXPECT_DOUBLE_EQ(percentile(std::vector<double>{7.0}, 99), 7.0);
  const LatencyStats s = summarize_latency_s(v);  // seconds in, ms out
  EXPECT_NEAR(s.std_ms, 2498.407656153521, 1e-6);  // numpy.std (ddof 0)
  EXPECT_NEAR(s.mean_ms, 26.1 / 7.0 * 1e3, 1e-9);
}

TEST(ReportTest, PerRequestMetrics) {
  const std::vector<RequestRecord> rs = fabricated();
  const RequestMetrics m1 = compute_request_metrics(rs[1]);
  EXPECT_NEAR(*m1.ttft_s, 0.2, 1e-12);
  EXPECT_NEAR(*m1.tpot_s, 0.55 / 3.0, 1e-12);
  EXPECT_NEAR(*m1.p99_gap_s, 0.05 + 0.98 * 0.40, 1e-12);  // gaps {0.05, 0.05, 0.45}
  EXPECT_NEAR(*m1.max_gap_s, 0.45, 1e-12);
  EXPECT_NEAR(*m1.e2e_s, 0.75, 1e-12);
  EXPECT_TRUE(m1.meets_slo);
  EXPECT_FALSE(m1.meets_strict_slo);
  const RequestMetrics m4 = compute_request_metrics(rs[4]);
  EXPECT_FALSE(m4.tpot_s.has_value());
  EXPECT_TRUE(m4.meets_slo && m4.meets_strict_slo);
  const RequestMetrics m3 = compute_request_metrics(rs[3]);
  EXPECT_FALSE(m3.ttft_s.has_value());
  EXPECT_FALSE(m3.meets_slo || m3.meets_strict_slo);
  RequestRecord no_slo = record(9, 0.0, {50.0, 90.0}, 1, 0.0, 0.0);
  EXPECT_TRUE(compute_request_metrics(no_slo).meets_strict_slo);
  RequestRecord empty_success = record(10, 0.0, {}, 1, 0.0, 0.0);
  EXPECT_FALSE(compute_request_metrics(empty_success).meets_slo);
}

TEST(ReportTest, AggregateReport) {
  const std::vector<RequestRecord> rs = fabricated();
  const Report r = compute_report(rs, 10.0);
  EXPECT_EQ(r.num_requests, 5u);
  EXPECT_EQ(r.completed, 4u);
  EXPECT_EQ(r.failed, 1u);
  EXPECT_EQ(r.total_input_tokens, 110);
  EXPECT_EQ(r.total_output_tokens, 10);
  EXPECT_DOUBLE_EQ(r.request_throughput, 0.4);
  EXPECT_DOUBLE_EQ(r.output_throughput, 1.0);
  EXPECT_DOUBLE_EQ(r.total_token_throughput, 12.0);
  // TTFT {0.5, 0.2, 2.0, 0.1}
  EXPECT_NEAR(r.ttft.mean_ms, 700.0, 1e-9);
  EXPECT_NEAR(r.ttft.median_ms, 350.0, 1e-9);
  EXPECT_NEAR(r.ttft.p99_ms, (0.5 + 0.97 * 1.5) * 1e3, 1e-9);
  EXPECT_EQ(r.ttft.count, 4u);
  // TPOT {0.1, 0.18333}
  EXPECT_NEAR(r.tpot.mean_ms, (0.1 + 0.55 / 3.0) / 2.0 * 1e3, 1e-9);
  EXPECT_EQ(r.tpot.count, 2u);
  // ITL {0.1, 0.1, 0.1, 0.05, 0.05, 0.45}
  EXPECT_EQ(r.itl.count, 6u);
  EXPECT_NEAR(r.itl.mean_ms, 0.85 / 6.0 * 1e3, 1e-9);
  EXPECT_NEAR(r.itl.median_ms, 100.0, 1e-9);
  // E2E {0.8, 0.75, 2.0, 0.1}
  EXPECT_NEAR(r.e2el.mean_ms, 3.65 / 4.0 * 1e3, 1e-9);
  EXPECT_EQ(r.num_slo_met, 3u);         // R0, R1, R4
  EXPECT_EQ(r.num_strict_slo_met, 2u);  // R0, R4
  EXPECT_DOUBLE_EQ(r.slo_attainment, 0.6);
  EXPECT_DOUBLE_EQ(r.strict_slo_attainment, 0.4);
  EXPECT_DOUBLE_EQ(r.request_goodput, 0.3);
  EXPECT_EQ(r.total_offloads, 1);
  EXPECT_EQ(r.total_migrations, 2);
  EXPECT_EQ(r.total_preemptions, 3);
}

TEST(ReportTest, EmptyAndZeroDuration) {
  const Report r = compute_report({}, 0.0);
  EXPECT_EQ(r.completed, 0u);
  EXPECT_EQ(r.slo_attainment, 0.0);
  EXPECT_EQ(r.request_throughput, 0.0);
  EXPECT_EQ(r.ttft.p99_ms, 0.0);
}

TEST(ReportTest, JsonHasVllmKeys) {
  const nlohmann::json j = report_to_json(compute_report(fabricated(), 10.0));
  for (const char* key :
       {"completed", "failed", "duration", "duration_s", "total_input_tokens", "total_output_tokens",
        "request_throughput", "output_throughput", "mean_ttft_ms", "median_ttft_ms", "p90_ttft_ms",
        "p99_ttft_ms", "mean_tpot_ms", "median_tpot_ms", "p99_tpot_ms", "mean_itl_ms", "p99_itl_ms",
        "mean_e2el_ms", "p99_e2el_ms", "slo_attainment", "strict_slo_attainment", "request_goodput",
        "total_offloads", "total_migrations", "total_preemptions"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_DOUBLE_EQ(j["mean_ttft_ms"].get<double>(), 700.0);
  EXPECT_EQ(j["failed"].get<int>(), 1);
  const std::string table = format_report_table(compute_report(fabricated(), 10.0), "Test");
  EXPECT_NE(table.find("Mean TTFT (ms):"), std::string::npos);
  EXPECT_NE(table.find("60.00 %"), std::string::npos);
}

TEST(ReportTest, PerRequestCsv) {
  const std::vector<RequestRecord> rs = fabricated();
  const std::string header = per_request_csv_header();
  const std::string row = per_request_csv_row(rs[1]);
  size_t header_commas = 0, row_commas = 0;
  for (char c : header) header_commas += c == ',';
  for (char c : row) row_commas += c == ',';
  EXPECT_EQ(header_commas, row_commas);
  EXPECT_NE(row.find(",200.000,183.333,"), std::string::npos) << row;
  RequestRecord bad = rs[3];
  bad.error = "a,b\nc";
  const std::string bad_row = per_request_csv_row(bad);
  row_commas = 0;
  for (char c : bad_row) row_commas += c == ',';
  EXPECT_EQ(header_commas, row_commas);
}

SweepRun run_with(double qps, double attainment) {
  SweepRun run;
  run.qps = qps;
  run.report.slo_attainment = attainment;
  run.report.strict_slo_attainment = attainment / 2.0;
  return run;
}

TEST(ReportTest, CapacityInterpolation) {
  // Given out of order on purpose.
  SweepResult s = make_sweep_result(
      {run_with(3.0, 0.8), run_with(1.0, 1.0), run_with(4.0, 0.5), run_with(2.0, 0.95)});
  ASSERT_EQ(s.runs.front().qps, 1.0);
  ASSERT_TRUE(s.capacity_qps_90.has_value());
  EXPECT_NEAR(*s.capacity_qps_90, 2.0 + 0.05 / 0.15, 1e-12);
  ASSERT_TRUE(s.capacity_qps_99.has_value());
  EXPECT_NEAR(*s.capacity_qps_99, 1.0 + 0.01 / 0.05, 1e-12);
  // First crossing wins on a non-monotone curve.
  SweepResult bumpy = make_sweep_result(
      {run_with(1.0, 1.0), run_with(2.0, 0.85), run_with(3.0, 0.95), run_with(4.0, 0.5)});
  EXPECT_NEAR(*bumpy.capacity_qps_90, 1.0 + 0.1 / 0.15, 1e-12);
  // Exactly at the target counts as meeting it.
  SweepResult exact = make_sweep_result({run_with(1.0, 0.9), run_with(2.0, 0.7)});
  EXPECT_NEAR(*exact.capacity_qps_90, 1.0, 1e-12);
}

TEST(ReportTest, CapacityNullWhenNoCrossing) {
  SweepResult always = make_sweep_result({run_with(1.0, 1.0), run_with(2.0, 0.97)});
  EXPECT_FALSE(always.capacity_qps_90.has_value());
  EXPECT_TRUE(always.capacity_qps_99.has_value());
  SweepResult never = make_sweep_result({run_with(1.0, 0.5), run_with(2.0, 0.2)});
  EXPECT_FALSE(never.capacity_qps_90.has_value());
  EXPECT_FALSE(make_sweep_result({run_with(1.0, 0.95)}).capacity_qps_90.has_value());
  const nlohmann::json j = sweep_to_json(never);
  EXPECT_TRUE(j["capacity_qps_90"].is_null());
  EXPECT_TRUE(j["capacity_qps_99"].is_null());
  ASSERT_EQ(j["runs"].size(), 2u);
  EXPECT_DOUBLE_EQ(j["runs"][1]["qps"].get<double>(), 2.0);
  EXPECT_NE(format_sweep_table(never).find("n/a"), std::string::npos);
}

}  // namespace
}  // namespace asc
