// Report output: JSON (vLLM-compatible keys), the terminal table and per-request CSV rows.
#include <cinttypes>
#include <cstdio>
#include <string>

#include "engine/core/report.h"

namespace asc {
namespace {

void put_stats(nlohmann::json& j, const char* name, const LatencyStats& s) {
  const std::string n(name);
  j["mean_" + n + "_ms"] = s.mean_ms;
  j["median_" + n + "_ms"] = s.median_ms;
  j["std_" + n + "_ms"] = s.std_ms;
  j["p90_" + n + "_ms"] = s.p90_ms;
  j["p99_" + n + "_ms"] = s.p99_ms;
}

nlohmann::json optional_json(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

std::string line(const char* label, const std::string& value) {
  char buf[160];
  std::snprintf(buf, sizeof(buf), "%-40s %s\n", label, value.c_str());
  return buf;
}

std::string num(double v, int decimals = 2) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return buf;
}

std::string centered(const std::string& title, char fill) {
  constexpr size_t kWidth = 50;
  if (title.size() + 2 >= kWidth) return title + "\n";
  const size_t left = (kWidth - title.size()) / 2;
  return std::string(left, fill) + title + std::string(kWidth - left - title.size(), fill) + "\n";
}

std::string stats_block(const char* heading, const char* name, const LatencyStats& s) {
  std::string out = centered(heading, '-');
  out += line((std::string("Mean ") + name + " (ms):").c_str(), num(s.mean_ms));
  out += line((std::string("Median ") + name + " (ms):").c_str(), num(s.median_ms));
  out += line((std::string("P90 ") + name + " (ms):").c_str(), num(s.p90_ms));
  out += line((std::string("P99 ") + name + " (ms):").c_str(), num(s.p99_ms));
  return out;
}

std::string opt_ms(const std::optional<double>& v_s) {
  return v_s ? num(*v_s * 1e3, 3) : std::string();
}

// CSV-safe error text: commas, quotes and newlines replaced.
std::string csv_clean(std::string s) {
  for (char& c : s) {
    if (c == ',' || c == '"' || c == '\n' || c == '\r') c = ' ';
  }
  return s;
}

}  // namespace

nlohmann::json report_to_json(const Report& r) {
  nlohmann::json j;
  j["num_requests"] = r.num_requests;
  j["completed"] = r.completed;
  j["failed"] = r.failed;
  j["duration"] = r.duration_s;
  j["duration_s"] = r.duration_s;
  j["total_input_tokens"] = r.total_input_tokens;
  j["total_output_tokens"] = r.total_output_tokens;
  j["request_throughput"] = r.request_throughput;
  j["output_throughput"] = r.output_throughput;
  j["total_token_throughput"] = r.total_token_throughput;
  put_stats(j, "ttft", r.ttft);
  put_stats(j, "tpot", r.tpot);
  put_stats(j, "itl", r.itl);
  put_stats(j, "e2el", r.e2el);
  j["num_slo_met"] = r.num_slo_met;
  j["num_strict_slo_met"] = r.num_strict_slo_met;
  j["slo_attainment"] = r.slo_attainment;
  j["strict_slo_attainment"] = r.strict_slo_attainment;
  j["request_goodput"] = r.request_goodput;
  j["total_offloads"] = r.total_offloads;
  j["total_migrations"] = r.total_migrations;
  j["total_preemptions"] = r.total_preemptions;
  if (r.perf_model_mape >= 0.0) j["perf_model_mape"] = r.perf_model_mape;
  return j;
}

std::string format_report_table(const Report& r, std::string_view title) {
  std::string out = centered(" " + std::string(title) + " ", '=');
  out += line("Successful requests:", std::to_string(r.completed));
  out += line("Failed requests:", std::to_string(r.failed));
  out += line("Benchmark duration (s):", num(r.duration_s));
  out += line("Total input tokens:", std::to_string(r.total_input_tokens));
  out += line("Total generated tokens:", std::to_string(r.total_output_tokens));
  out += line("Request throughput (req/s):", num(r.request_throughput));
  out += line("Output token throughput (tok/s):", num(r.output_throughput));
  out += line("Total token throughput (tok/s):", num(r.total_token_throughput));
  out += line("SLO attainment (TTFT & TPOT):", num(r.slo_attainment * 100.0) + " %");
  out += line("Strict SLO attainment (TTFT & p99 gap):", num(r.strict_slo_attainment * 100.0) + " %");
  out += line("Request goodput (req/s):", num(r.request_goodput));
  out += stats_block("Time to First Token", "TTFT", r.ttft);
  out += stats_block("Time per Output Token (excl. 1st token)", "TPOT", r.tpot);
  out += stats_block("Inter-token Latency", "ITL", r.itl);
  out += stats_block("End-to-end Latency", "E2EL", r.e2el);
  if (r.total_offloads + r.total_migrations + r.total_preemptions > 0) {
    out += centered("Scheduler events", '-');
    out += line("Offloads:", std::to_string(r.total_offloads));
    out += line("Migrations:", std::to_string(r.total_migrations));
    out += line("Preemptions:", std::to_string(r.total_preemptions));
  }
  if (r.perf_model_mape >= 0.0) out += line("Perf model error (MAPE):", num(r.perf_model_mape * 100.0) + " %");
  out += std::string(50, '=') + "\n";
  return out;
}

std::string per_request_csv_header() {
  return "id,arrival_s,success,num_prompt_tokens,num_output_tokens,num_requested_output_tokens,"
         "ttft_ms,tpot_ms,e2e_ms,p99_gap_ms,max_gap_ms,ttft_slo_ms,tbt_slo_ms,meets_slo,"
         "meets_strict_slo,error\n";
}

std::string per_request_csv_row(const RequestRecord& r) {
  const RequestMetrics m = compute_request_metrics(r);
  std::string row = std::to_string(r.id) + "," + num(r.arrival_s, 6) + "," + (r.success ? "1" : "0") +
                    "," + std::to_string(r.num_prompt_tokens) + "," + std::to_string(r.num_output_tokens) +
                    "," + std::to_string(r.num_requested_output_tokens) + ",";
  row += opt_ms(m.ttft_s) + "," + opt_ms(m.tpot_s) + "," + opt_ms(m.e2e_s) + "," + opt_ms(m.p99_gap_s) +
         "," + opt_ms(m.max_gap_s) + ",";
  row += num(r.ttft_slo_s * 1e3, 3) + "," + num(r.tbt_slo_s * 1e3, 3) + ",";
  row += std::string(m.meets_slo ? "1" : "0") + "," + (m.meets_strict_slo ? "1" : "0") + ",";
  row += csv_clean(r.error) + "\n";
  return row;
}

nlohmann::json sweep_to_json(const SweepResult& sweep) {
  nlohmann::json runs = nlohmann::json::array();
  for (const SweepRun& run : sweep.runs) {
    nlohmann::json j = report_to_json(run.report);
    j["qps"] = run.qps;
    runs.push_back(std::move(j));
  }
  nlohmann::json out;
  out["runs"] = std::move(runs);
  out["capacity_qps_90"] = optional_json(sweep.capacity_qps_90);
  out["capacity_qps_99"] = optional_json(sweep.capacity_qps_99);
  out["strict_capacity_qps_90"] = optional_json(capacity_qps(sweep.runs, 0.90, /*strict=*/true));
  return out;
}

std::string format_sweep_table(const SweepResult& sweep) {
  std::string out = centered(" SLO sweep ", '=');
  char buf[200];
  std::snprintf(buf, sizeof(buf), "%9s %9s %9s %10s %12s %12s %7s\n", "qps", "attain%", "strict%",
                "goodput", "p99_ttft_ms", "p99_tpot_ms", "failed");
  out += buf;
  for (const SweepRun& run : sweep.runs) {
    const Report& r = run.report;
    std::snprintf(buf, sizeof(buf), "%9.3f %9.2f %9.2f %10.3f %12.2f %12.2f %7zu\n", run.qps,
                  r.slo_attainment * 100.0, r.strict_slo_attainment * 100.0, r.request_goodput,
                  r.ttft.p99_ms, r.tpot.p99_ms, r.failed);
    out += buf;
  }
  auto cap = [](const std::optional<double>& c) {
    return c ? num(*c, 3) + " req/s" : std::string("n/a (no crossing in the swept range)");
  };
  out += line("Capacity at 90% attainment:", cap(sweep.capacity_qps_90));
  out += line("Capacity at 99% attainment:", cap(sweep.capacity_qps_99));
  out += std::string(50, '=') + "\n";
  return out;
}

}  // namespace asc
