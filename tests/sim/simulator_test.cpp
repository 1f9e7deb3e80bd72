// Simulator: determinism, conservation of requests, the two baselines' signatures at high load,
// and events-per-second speed.
#include <gtest/gtest.h>

#include <cstdio>
#include <cmath>
#include <filesystem>

#include "engine/core/gpu_profiles.h"
#include "engine/core/report.h"
#include "engine/sim/simulator.h"
#include "engine/workload/workload.h"

namespace asc {
namespace {

const char* kShareGpt = ASC_SOURCE_DIR "/../shared/traces/sharegpt_8k.csv";

std::vector<SimArrival> sharegpt_arrivals(size_t n, double qps, uint64_t seed) {
  auto trace = workload::read_trace(kShareGpt);
  EXPECT_TRUE(trace.is_ok());
  workload::WorkloadOptions w;
  w.num_requests = n;
  w.rate_qps = qps;
  w.seed = seed;
  w.ttft_slo_s = 1.0;
  w.tbt_slo_s = 0.15;
  auto reqs = workload::build_workload(*trace, w);
  EXPECT_TRUE(reqs.is_ok());
  std::vector<SimArrival> out;
  for (const auto& r : *reqs) out.push_back({r.id, r.arrival_s, r.prompt_tokens, r.output_tokens, r.ttft_slo_s, r.tbt_slo_s, 0});
  return out;
}

TEST(Simulator, DeterministicAndEveryRequestFinishesOnce) {
  auto model = builtin_profile("a100-llama-3.1-8b");
  ASSERT_TRUE(model.is_ok());
  std::vector<SimArrival> arrivals;
  for (uint64_t i = 0; i < 300; ++i) {
    arrivals.push_back({i, 0.05 * static_cast<double>(i), 50 + static_cast<int32_t>((i * 7919) % 2000),
                        1 + static_cast<int32_t>((i * 104729) % 300), 1.0, 0.15, 0});
  }
  SimConfig cfg;
  cfg.pools = PoolSpec::uniform(2);
  cfg.num_kv_blocks = 800;  // small: forces preemptions
  for (const char* policy : {"vllm", "sarathi"}) {
    cfg.policy = policy;
    auto a = simulate(*model, cfg, arrivals);
    auto b = simulate(*model, cfg, arrivals);
    ASSERT_TRUE(a.is_ok() && b.is_ok());
    ASSERT_EQ(a->records.size(), arrivals.size());
    int64_t preemptions = 0;
    for (size_t i = 0; i < arrivals.size(); ++i) {
      const RequestRecord& r = a->records[i];
      EXPECT_TRUE(r.success) << policy << " request " << i << ": " << r.error;
      EXPECT_EQ(r.num_output_tokens, arrivals[i].num_output_tokens);
      EXPECT_EQ(r.token_times_s, b->records[i].token_times_s);
      EXPECT_GE(r.token_times_s.front(), r.arrival_s);
      preemptions += r.num_preemptions;
    }
    EXPECT_EQ(a->num_iterations, b->num_iterations);
    std::printf("%s: %lld iterations, %lld preemptions\n", policy, static_cast<long long>(a->num_iterations),
                static_cast<long long>(preemptions));
  }
}

TEST(Simulator, RejectsUnknownPolicyAndUnsortedArrivals) {
  auto model = builtin_profile("h100-llama-3.1-8b");
  SimConfig cfg;
  cfg.policy = "fifo";
  std::vector<SimArrival> one{{0, 0.0, 10, 10, 0, 0, 0}};
  EXPECT_EQ(simulate(*model, cfg, one).status().code(), StatusCode::kInvalidArgument);
  cfg.policy = "vllm";
  std::vector<SimArrival> unsorted{{0, 1.0, 10, 10, 0, 0, 0}, {1, 0.5, 10, 10, 0, 0, 0}};
  EXPECT_FALSE(simulate(*model, cfg, unsorted).is_ok());
}

// At high load vllm's prefill-first gives the lower median TTFT and sarathi's chunking the lower
// p99 gap (TBT).
TEST(Simulator, PolicySignaturesAtHighLoad) {
  if (!std::filesystem::exists(kShareGpt)) GTEST_SKIP() << "trace absent: " << kShareGpt;
  auto model = builtin_profile("a100-llama-3.1-8b");
  const auto arrivals = sharegpt_arrivals(800, 12.0, 1);
  SimConfig cfg;
  cfg.pools = PoolSpec::uniform(3);
  Report rep[2];
  double p99_gap[2];
  int k = 0;
  for (const char* policy : {"vllm", "sarathi"}) {
    cfg.policy = policy;
    auto res = simulate(*model, cfg, arrivals);
    ASSERT_TRUE(res.is_ok());
    rep[k] = compute_report(res->records, res->end_time_s);
    std::vector<double> gaps;
    for (const RequestRecord& r : res->records) {
      auto m = compute_request_metrics(r);
      if (m.p99_gap_s) gaps.push_back(*m.p99_gap_s);
    }
    p99_gap[k] = percentile(gaps, 99.0);
    std::printf("%-8s median TTFT %.0f ms, mean TPOT %.1f ms, p99 ITL %.0f ms, p99 of per-request p99 gap %.0f ms, "
                "attainment %.2f\n", policy, rep[k].ttft.median_ms, rep[k].tpot.mean_ms, rep[k].itl.p99_ms,
                1e3 * p99_gap[k], rep[k].slo_attainment);
    ++k;
  }
  EXPECT_LT(rep[0].ttft.median_ms, rep[1].ttft.median_ms);
  EXPECT_LT(p99_gap[1], p99_gap[0]);
  EXPECT_LT(rep[1].itl.p99_ms, rep[0].itl.p99_ms);
}

// With a ground-truth time function the simulator charges iterations by it, not by the fitted
// model: the same plan sequence costs exactly the truth's sum, and busy time adds up per instance.
TEST(Simulator, ChargesIterationsByTheGroundTruthWhenGiven) {
  auto model = builtin_profile("a100-llama-3.1-8b");
  ASSERT_TRUE(model.is_ok());
  std::vector<SimArrival> arrivals;
  for (uint64_t i = 0; i < 40; ++i) arrivals.push_back({i, 0.2 * static_cast<double>(i), 300, 20, 1.0, 0.15, 0});
  SimConfig cfg;
  cfg.policy = "vllm";
  cfg.pools = PoolSpec::uniform(2);
  auto fitted = simulate(*model, cfg, arrivals);
  int64_t charged = 0;
  double error_sum = 0.0;  // the model's error on each charged batch, summed here independently
  cfg.iteration_time_s = [&](const BatchShape& shape) {
    ++charged;
    const double t = 0.001 * (1 + shape.num_tokens());  // 1 ms + 1 ms per token: far from the A100 fit
    error_sum += std::abs(model->predict_s(shape) - t) / t;
    return t;
  };
  auto truth = simulate(*model, cfg, arrivals);
  ASSERT_TRUE(fitted.is_ok() && truth.is_ok());
  EXPECT_EQ(charged, truth->num_iterations);
  EXPECT_LT(fitted->perf_model_mape, 0.0) << "no ground truth, no error to report";
  EXPECT_NEAR(truth->perf_model_mape, error_sum / static_cast<double>(charged), 1e-12);
  EXPECT_GT(truth->perf_model_mape, 1.0);  // an A100 model predicting a 1 ms/token machine
  // The last request: a 300-token prefill (0.301 s) when it is alone, then 19 single decodes.
  const RequestRecord& last = truth->records.back();
  ASSERT_TRUE(last.success);
  EXPECT_NEAR(last.token_times_s.back() - last.token_times_s.front(), 19 * 0.002, 1e-9);
  EXPECT_NE(truth->end_time_s, fitted->end_time_s);
  ASSERT_EQ(truth->instance_busy_s.size(), 2u);
  ASSERT_EQ(truth->instance_finished.size(), 2u);
  EXPECT_EQ(truth->instance_finished[0] + truth->instance_finished[1], 40);
  EXPECT_EQ(truth->instance_iterations[0] + truth->instance_iterations[1], truth->num_iterations);
  for (double busy : truth->instance_busy_s) {
    EXPECT_GT(busy, 0.0);
    EXPECT_LE(busy, truth->end_time_s + 1e-9);
  }
}

// The built-in profile's fit must price the Ascendra LP pool's batches (several whole prompts
// joining running decodes) like its roofline: a fit that undercharges them hands the LP pool
// free time in every simulation that charges by the fit, and mispredicts its offloads.
TEST(Simulator, BuiltinProfileChargesLpMixedBatchesLikeItsRoofline) {
  auto model = builtin_profile("a100-llama-3.1-8b");
  auto truth = builtin_roofline("a100-llama-3.1-8b");
  ASSERT_TRUE(model.is_ok() && truth.is_ok());
  struct Case { int32_t prompts, prompt_len, decodes, context; };
  for (Case c : {Case{4, 2000, 100, 2000}, Case{2, 4000, 60, 1000}, Case{8, 1000, 120, 3000}, Case{1, 2000, 100, 2000}}) {
    BatchShape mixed, prefill;
    for (int32_t i = 0; i < c.prompts; ++i) {
      mixed.add_prefill(0, c.prompt_len, true);
      prefill.add_prefill(0, c.prompt_len, true);
    }
    for (int32_t i = 0; i < c.decodes; ++i) mixed.add_decode(c.context);
    const double predicted = model->predict_s(mixed), actual = (*truth)(mixed);
    EXPECT_NEAR(predicted / actual, 1.0, 0.06) << c.prompts << " x " << c.prompt_len << " + " << c.decodes;
    EXPECT_GT(predicted, model->predict_s(prefill)) << "adding decodes must not make a batch cheaper";
  }
  EXPECT_FALSE(builtin_roofline("no-such-profile").is_ok());
}

}  // namespace
}  // namespace asc
