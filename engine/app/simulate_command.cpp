// `ascendra simulate`: the real scheduler code (Instance, Policy, Dispatcher, PerfModel) on a
// virtual clock with a simulated backend, over a trace at a request rate or a rate sweep. Prints
// and writes the same report as `ascendra bench`.
#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/app/commands.h"
#include "engine/cluster/pool_spec.h"
#include "engine/core/gpu_profiles.h"
#include "engine/core/perf_model.h"
#include "engine/core/report.h"
#include "engine/sched/ascendra_options.h"
#include "engine/sim/simulator.h"
#include "engine/workload/workload.h"

namespace asc::app {
namespace {

struct SimulateOptions {
  std::string profile;
  std::string trace_path;
  std::string policy = "sarathi";
  std::string policy_options;
  std::string pools;
  int instances = 1;
  double qps = 1.0;
  std::string sweep;
  size_t num_requests = 1000;
  uint64_t seed = 0;
  double ttft_slo_ms = 0.0;
  double tbt_slo_ms = 0.0;
  double length_scale = 1.0;
  int32_t max_prompt_tokens = 0;
  int32_t max_output_tokens = 0;
  int32_t max_seqs = 128;
  int32_t max_batch_tokens = 8192;
  int32_t chunk_size = 512;
  int32_t kv_blocks = 0;
  double burstiness = 1.0;
  std::string json_path;
};

// "A:B:STEP" -> A, A+STEP, ..., <= B (inclusive, tolerant of rounding).
StatusOr<std::vector<double>> parse_rates(const std::string& spec) {
  double a = 0, b = 0, step = 0;
  char tail = 0;
  if (std::sscanf(spec.c_str(), "%lf:%lf:%lf%c", &a, &b, &step, &tail) != 3 || a <= 0 || b < a || step <= 0) {
    return invalid_argument("--sweep wants A:B:STEP with 0 < A <= B and STEP > 0, got '" + spec + "'");
  }
  std::vector<double> rates;
  for (int i = 0; a + i * step <= b + 1e-9 && i < 1000; ++i) rates.push_back(a + i * step);
  return rates;
}

std::vector<SimArrival> to_arrivals(const std::vector<workload::WorkloadRequest>& reqs) {
  std::vector<SimArrival> out;
  out.reserve(reqs.size());
  for (const auto& r : reqs) {
    out.push_back({r.id, r.arrival_s, r.prompt_tokens, r.output_tokens, r.ttft_slo_s, r.tbt_slo_s, 0});
  }
  return out;
}

// One rate: workload -> simulation -> report.
StatusOr<Report> simulate_rate(const SimulateOptions& o, const PerfModel& model, const workload::Trace& trace,
                               const SimConfig& config, double qps) {
  workload::WorkloadOptions w;
  w.num_requests = o.num_requests;
  w.arrivals = o.burstiness == 1.0 ? workload::ArrivalKind::kPoisson : workload::ArrivalKind::kGamma;
  w.rate_qps = qps;
  w.burstiness = o.burstiness;
  w.seed = o.seed;
  w.length_scale = o.length_scale;
  w.max_prompt_tokens = o.max_prompt_tokens;
  w.max_output_tokens = o.max_output_tokens;
  w.ttft_slo_s = o.ttft_slo_ms / 1000.0;
  w.tbt_slo_s = o.tbt_slo_ms / 1000.0;
  auto reqs = workload::build_workload(trace, w);
  if (!reqs.is_ok()) return reqs.status();
  const std::vector<SimArrival> arrivals = to_arrivals(*reqs);
  auto sim = simulate(model, config, arrivals);
  if (!sim.is_ok()) return sim.status();
  Report report = compute_report(sim->records, sim->end_time_s);
  report.perf_model_mape = sim->perf_model_mape;
  return report;
}

Status write_json(const std::string& path, const nlohmann::json& j) {
  if (path.empty()) return Status::ok();
  std::ofstream out(path);
  if (!out) return not_found("cannot write " + path);
  out << j.dump(2) << "\n";
  return Status::ok();
}

Status run_simulate(const SimulateOptions& o) {
  auto model = load_perf_model(o.profile);
  if (!model.is_ok()) return model.status();
  auto trace = workload::read_trace(o.trace_path);
  if (!trace.is_ok()) return trace.status();
  SimConfig config;
  config.policy = o.policy;
  config.policy_options = o.policy_options;
  if (o.policy.rfind("ascendra", 0) == 0) {  // validate before the policy factories see them
    auto options = parse_ascendra_options(o.policy_options);
    if (!options.is_ok()) return options.status();
  }
  if (!o.pools.empty()) {
    auto spec = PoolSpec::parse(o.pools);
    if (!spec.is_ok()) return spec.status();
    config.pools = *spec;
  } else {
    config.pools = PoolSpec::uniform(o.instances);
  }
  config.scheduler.max_seqs = o.max_seqs;
  config.scheduler.max_batch_tokens = o.max_batch_tokens;
  config.scheduler.chunk_size = o.chunk_size;
  config.num_kv_blocks = o.kv_blocks;
  // A built-in GPU profile is charged by its analytic roofline; policies predict with the fit.
  if (auto truth = builtin_roofline(o.profile); truth.is_ok()) config.iteration_time_s = *truth;
  const std::string title = "simulate " + o.policy + " on " + config.pools.to_string() + " (" + model->device + ")";
  if (o.sweep.empty()) {
    auto report = simulate_rate(o, *model, *trace, config, o.qps);
    if (!report.is_ok()) return report.status();
    std::fputs(format_report_table(*report, title).c_str(), stdout);
    nlohmann::json j = report_to_json(*report);
    j["qps"] = o.qps;
    return write_json(o.json_path, j);
  }
  auto rates = parse_rates(o.sweep);
  if (!rates.is_ok()) return rates.status();
  std::vector<SweepRun> runs;
  for (double q : *rates) {
    auto report = simulate_rate(o, *model, *trace, config, q);
    if (!report.is_ok()) return report.status();
    runs.push_back({q, *report});
  }
  SweepResult sweep = make_sweep_result(std::move(runs));
  std::printf("%s\n", title.c_str());
  std::fputs(format_sweep_table(sweep).c_str(), stdout);
  return write_json(o.json_path, sweep_to_json(sweep));
}

}  // namespace

void register_simulate(CLI::App& app) {
  auto options = std::make_shared<SimulateOptions>();
  SimulateOptions& o = *options;
  CLI::App* sub = app.add_subcommand("simulate", "Run the scheduler on a virtual clock with a performance model");
  sub->add_option("--profile", o.profile, "Profile JSON from `ascendra profile`, or a built-in name "
                                          "(a100-llama-3.1-8b, h100-llama-3.1-8b)")->required();
  sub->add_option("--trace", o.trace_path, "Trace CSV (azure or metron format)")->required();
  sub->add_option("--policy", o.policy, "Scheduling policy: vllm, sarathi, ascendra, ...");
  sub->add_option("--policy-options", o.policy_options, "Policy-specific key=value,... options");
  auto* pools = sub->add_option("--pools", o.pools, "Instances by pool, e.g. low:2,high:1");
  sub->add_option("--instances", o.instances, "Round-robin instances (without --pools)")
      ->check(CLI::Range(1, 1024))->excludes(pools);
  auto* qps = sub->add_option("--qps", o.qps, "Request rate (req/s)")->check(CLI::PositiveNumber);
  sub->add_option("--sweep", o.sweep, "Rate sweep A:B:STEP (inclusive); reports capacity")->excludes(qps);
  sub->add_option("--num-requests", o.num_requests, "Requests per rate (default 1000)")->check(CLI::PositiveNumber);
  sub->add_option("--seed", o.seed, "Seed for row sampling and arrivals");
  sub->add_option("--burstiness", o.burstiness, "Gamma shape of the gaps (1 = Poisson)")->check(CLI::PositiveNumber);
  sub->add_option("--ttft-slo-ms", o.ttft_slo_ms, "TTFT objective (0 = none)")->check(CLI::NonNegativeNumber);
  sub->add_option("--tbt-slo-ms", o.tbt_slo_ms, "TBT (TPOT) objective (0 = none)")->check(CLI::NonNegativeNumber);
  sub->add_option("--length-scale", o.length_scale, "Multiply trace lengths by F")->check(CLI::PositiveNumber);
  sub->add_option("--max-prompt-tokens", o.max_prompt_tokens, "Clip prompt lengths (0 = none)");
  sub->add_option("--max-output-tokens", o.max_output_tokens, "Clip output lengths (0 = none)");
  sub->add_option("--max-seqs", o.max_seqs, "Running sequences per instance")->check(CLI::Range(1, 100000));
  sub->add_option("--max-batch-tokens", o.max_batch_tokens, "Token cap of a vllm prefill batch")->check(CLI::Range(1, 1 << 24));
  sub->add_option("--chunk-size", o.chunk_size, "Token budget of chunked policies (default 512)")->check(CLI::Range(1, 1 << 24));
  sub->add_option("--kv-blocks", o.kv_blocks, "KV blocks per instance (default: the profile's)");
  sub->add_option("--json", o.json_path, "Write the JSON report here");
  sub->callback([options] {
    Status s = run_simulate(*options);
    if (!s.is_ok()) {
      std::fprintf(stderr, "ascendra simulate: %s\n", s.to_string().c_str());
      throw CLI::RuntimeError(1);
    }
  });
}

}  // namespace asc::app
