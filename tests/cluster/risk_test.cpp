// RiskMonitor: the offload predicate against an independent evaluation of the paper's formula on
// random requests, the exclusions (started, no objective, already offloaded), and the margin.
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <random>

#include "engine/cluster/risk_monitor.h"
#include "tests/sched/ascendra_fixture.h"

namespace asc {
namespace {

using testing::a100_model;

TEST(RiskMonitor, MatchesThePapersFormulaOnRandomRequests) {
  const PerfModel& model = a100_model();
  const double margin = 0.7;
  RiskMonitor monitor(&model, margin);
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> wait(0.0, 2.0), batch(0.0, 0.8), slo(0.5, 3.0);
  std::uniform_int_distribution<int32_t> prompt(1, 8000);
  int fired = 0;
  for (int i = 0; i < 2000; ++i) {
    const double now = 100.0, w = wait(rng), b = batch(rng);
    Request r = Request::with_length(1, now - w, prompt(rng), 10);
    r.ttft_slo_s = slo(rng);
    const double expected_ttft = w + std::max(b, model.predict_prefill_s(r.num_prompt_tokens)) + margin;
    const bool expected = expected_ttft > r.ttft_slo_s;
    EXPECT_EQ(monitor.at_risk(r, b, now), expected) << i;
    EXPECT_NEAR(monitor.predicted_ttft_s(r, b, now), expected_ttft, 1e-9);
    fired += expected;
  }
  EXPECT_GT(fired, 200);
  EXPECT_LT(fired, 1800);
}

TEST(RiskMonitor, OnlyNeverStartedRequestsWithAnObjectiveMoveAndOnlyOnce) {
  RiskMonitor monitor(&a100_model(), 0.7);
  Request hopeless = Request::with_length(1, 0.0, 100, 10);
  hopeless.ttft_slo_s = 1.0;
  EXPECT_TRUE(monitor.at_risk(hopeless, 0.1, 50.0));
  Request started = hopeless;
  started.first_scheduled_s = 1.0;
  EXPECT_FALSE(monitor.at_risk(started, 0.1, 50.0));
  Request moved = hopeless;
  moved.num_offloads = 1;
  EXPECT_FALSE(monitor.at_risk(moved, 0.1, 50.0));
  Request no_slo = hopeless;
  no_slo.ttft_slo_s = 0.0;
  EXPECT_FALSE(monitor.at_risk(no_slo, 0.1, 50.0));
  std::deque<Request*> waiting{&started, &hopeless, &no_slo, &moved};
  EXPECT_EQ(monitor.select(waiting, 0.1, 50.0), std::vector<Request*>{&hopeless});
}

TEST(RiskMonitor, FullBatchMarginFollowsTheTokenBudget) {
  SchedulerConfig cfg;
  cfg.max_batch_tokens = 8192;
  const double full = full_batch_time_s(&a100_model(), cfg);
  std::printf("full-batch margin, A100 Llama-3.1-8B, 8192 tokens: %.3f s (authors' constant: 0.7 s)\n", full);
  EXPECT_NEAR(full, 0.7, 0.1);
  cfg.max_batch_tokens = 2048;
  EXPECT_LT(full_batch_time_s(&a100_model(), cfg), full / 3.0);
  EXPECT_EQ(full_batch_time_s(nullptr, cfg), 0.0);
}

}  // namespace
}  // namespace asc
