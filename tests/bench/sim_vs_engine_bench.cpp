// Benchmark (not in ctest; run by scripts/bench-sim-vs-engine.sh): the simulator against the real engine: the same scaled Azure conversation trace at the same
// moderate rate runs (a) on the CPU engine in-process -- an Instance with the real CpuBackend driven
// on the wall clock by a small driver loop -- and (b) in the simulator with the PerfModel fitted
// from a quick CPU profile measured here on the same backend. Median TTFT and mean TPOT agree
// within 15%. Skips when the model or the traces folder is absent.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <thread>

#include "engine/app/profile_command.h"
#include "engine/core/instance.h"
#include "engine/core/report.h"
#include "engine/cpu/backend_factory.h"
#include "engine/sched/policy.h"
#include "engine/sim/simulator.h"
#include "engine/workload/workload.h"

namespace asc {
namespace {

const char* kModel = ASC_SOURCE_DIR "/models/SmolLM2-135M-Instruct.Q4_1.gguf";
const char* kTrace = ASC_SOURCE_DIR "/../shared/traces/azure_conv_2023.csv";

constexpr int kThreads = 1;  // no pool wake-ups: idle gaps between arrivals would put workers to sleep
constexpr size_t kKvBytes = size_t{128} << 20;

SchedulerConfig scheduler_config() {
  SchedulerConfig c;
  c.max_seqs = 16;
  c.max_batch_tokens = 128;
  c.chunk_size = 128;
  return c;
}

// A profile grid covering what this workload produces (chunks <= 128, short contexts, and at about
// 50% load rarely more than 4 running decodes). The range of decode batch sizes matters: on the CPU a
// decode batch of up to 8 rows reads each weight block once (the matmul's activation tile), so its
// time is nearly flat in the number of decodes, and a linear fit over 1..16 decodes over-predicts the
// 1-3 decode batches this workload runs by about 25%.
ProfileGrid workload_grid() {
  ProfileGrid g = ProfileGrid::quick();
  g.num_prefill = 16;
  g.num_decode = 16;
  g.num_mixed = 16;
  g.max_batch_tokens = 128;
  g.max_decodes = 4;
  g.max_context = 192;
  return g;
}

StatusOr<std::vector<workload::WorkloadRequest>> scaled_workload(double qps) {
  auto trace = workload::read_trace(kTrace);
  if (!trace.is_ok()) return trace.status();
  workload::WorkloadOptions w;
  w.num_requests = 20;
  w.rate_qps = qps;
  w.seed = 7;
  w.length_scale = 0.05;
  w.max_prompt_tokens = 128;
  w.max_output_tokens = 24;
  auto reqs = workload::build_workload(*trace, w);
  if (reqs.is_ok()) {
    for (auto& r : *reqs) r.output_tokens = std::max(r.output_tokens, 4);  // TPOT needs >= 2 tokens
  }
  return reqs;
}

// Drives the instance on the wall clock: submits each request when its arrival time has passed,
// steps while there is work, sleeps until the next arrival when idle. Returns the records.
std::vector<RequestRecord> run_on_wall_clock(Instance& inst, const std::vector<workload::WorkloadRequest>& reqs,
                                             int32_t vocab) {
  std::mt19937 rng(99);
  const auto t0 = std::chrono::steady_clock::now();
  auto now_s = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  std::vector<RequestRecord> records;
  size_t next = 0;
  while (records.size() < reqs.size()) {
    const double now = now_s();
    for (; next < reqs.size() && reqs[next].arrival_s <= now; ++next) {
      std::vector<int32_t> prompt(static_cast<size_t>(reqs[next].prompt_tokens));
      for (int32_t& t : prompt) t = static_cast<int32_t>(rng() % static_cast<uint32_t>(vocab));
      auto req = std::make_unique<Request>(Request::with_prompt(reqs[next].id, reqs[next].arrival_s,
                                                                std::move(prompt), reqs[next].output_tokens));
      req->ignore_eos = true;
      const Status s = inst.submit(std::move(req));
      EXPECT_TRUE(s.is_ok()) << s.to_string();
    }
    if (!inst.step(now) && next < reqs.size()) {
      const double wait = reqs[next].arrival_s - now_s();
      if (wait > 0) std::this_thread::sleep_for(std::chrono::duration<double>(std::min(wait, 0.01)));
    }
    inst.take_events();
    for (auto& r : inst.take_finished()) records.push_back(r->to_record());
    if (now > 120.0) break;  // a hung engine fails the test instead of the suite
  }
  return records;
}

void print_report(const char* what, const Report& r) {
  std::printf("  %-10s completed %zu/%zu  median TTFT %7.1f ms  mean TTFT %7.1f ms  mean TPOT %6.2f ms  "
              "p99 ITL %6.1f ms  duration %.1f s\n",
              what, r.completed, r.num_requests, r.ttft.median_ms, r.ttft.mean_ms, r.tpot.mean_ms,
              r.itl.p99_ms, r.duration_s);
}

// A moderate rate: half the rate at which this machine serves the workload's requests one by one.
StatusOr<std::vector<workload::WorkloadRequest>> moderate_workload(const PerfModel& perf, double& qps) {
  auto reqs = scaled_workload(1.0);
  if (!reqs.is_ok()) return reqs.status();
  double busy_s = 0.0;
  for (const auto& r : *reqs) {
    busy_s += perf.predict_prefill_s(r.prompt_tokens) + (r.output_tokens - 1) * perf.predict_decode_s(2, r.prompt_tokens);
  }
  qps = 0.5 * static_cast<double>(reqs->size()) / busy_s;
  return scaled_workload(qps);
}

StatusOr<SimResult> simulate_workload(const PerfModel& perf, const std::vector<workload::WorkloadRequest>& reqs,
                                      int32_t num_blocks) {
  std::vector<SimArrival> arrivals;
  for (const auto& r : reqs) arrivals.push_back({r.id, r.arrival_s, r.prompt_tokens, r.output_tokens, 0.0, 0.0, 0});
  SimConfig config;
  config.policy = "sarathi";
  config.scheduler = scheduler_config();
  config.num_kv_blocks = num_blocks;
  return simulate(perf, config, arrivals);
}

TEST(SimVsEngine, MedianTtftAndMeanTpotAgreeWithinFifteenPercent) {
  if (!std::filesystem::exists(kModel)) GTEST_SKIP() << "model absent: " << kModel << " (scripts/fetch-models.sh)";
  if (!std::filesystem::exists(kTrace)) GTEST_SKIP() << "traces folder absent: " << kTrace;
  auto model = load_model(kModel);
  ASSERT_TRUE(model.is_ok()) << model.status().to_string();
  const SchedulerConfig sched = scheduler_config();
  auto backend = cpu::make_cpu_backend(**model, kThreads, kKvBytes, sched.max_batch_tokens + sched.max_seqs);
  ASSERT_TRUE(backend.is_ok()) << backend.status().to_string();
  const auto t0 = std::chrono::steady_clock::now();
  auto profile = run_profile(**backend, app::model_shape_of(**model), workload_grid());
  ASSERT_TRUE(profile.is_ok()) << profile.status().to_string();
  const double profile_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const PerfModel& perf = profile->model;
  std::printf("profile: %.1f s, held-out MAPE %.1f%%\n", profile_s, 100.0 * profile->holdout_mape);
  double qps = 0.0;
  auto reqs = moderate_workload(perf, qps);
  ASSERT_TRUE(reqs.is_ok()) << reqs.status().to_string();

  PolicyContext pctx;
  pctx.config = sched;
  pctx.perf_model = &perf;
  auto policy = make_policy("sarathi", pctx);
  ASSERT_TRUE(policy.is_ok()) << policy.status().to_string();
  InstanceConfig icfg;
  icfg.scheduler = sched;
  const int32_t num_blocks = (*backend)->num_kv_blocks();
  const int32_t vocab = (*backend)->vocab_size();
  Instance inst(std::move(*backend), std::move(*policy), icfg, &perf);
  const std::vector<RequestRecord> real = run_on_wall_clock(inst, *reqs, vocab);
  ASSERT_EQ(real.size(), reqs->size());
  auto sim = simulate_workload(perf, *reqs, num_blocks);
  ASSERT_TRUE(sim.is_ok()) << sim.status().to_string();

  double real_end = 0.0;
  for (const RequestRecord& r : real) real_end = std::max(real_end, r.token_times_s.empty() ? 0.0 : r.token_times_s.back());
  const Report real_report = compute_report(real, real_end);
  const Report sim_report = compute_report(sim->records, sim->end_time_s);
  std::printf("%zu requests at %.2f req/s (azure conv, lengths x0.05, prompts <= 128, outputs 4..24), sarathi:\n",
              reqs->size(), qps);
  print_report("cpu engine", real_report);
  print_report("simulator", sim_report);
  const double ttft_err = std::fabs(sim_report.ttft.median_ms / real_report.ttft.median_ms - 1.0);
  const double tpot_err = std::fabs(sim_report.tpot.mean_ms / real_report.tpot.mean_ms - 1.0);
  std::printf("  difference: median TTFT %.1f%%, mean TPOT %.1f%%\n", 100.0 * ttft_err, 100.0 * tpot_err);
  EXPECT_EQ(real_report.completed, reqs->size());
  EXPECT_EQ(sim_report.completed, reqs->size());
  EXPECT_LT(ttft_err, 0.15);
  EXPECT_LT(tpot_err, 0.15);
}

}  // namespace
}  // namespace asc
