// Recompute preemption: a KV pool too small for all running requests forces vllm and sarathi to
// preempt the youngest; every request still finishes exactly once with all its tokens, and the
// recomputed sequences see the same token ids as before (prompt + generated so far).
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "engine/core/clock.h"
#include "tests/sched/fake_backend.h"

namespace asc {
namespace {

struct RunSummary {
  int64_t preemptions = 0;
  std::map<RequestId, int> finish_events;
  std::map<RequestId, int32_t> outputs;
};

RunSummary run_to_completion(const std::string& policy, int32_t blocks, int num_requests, uint32_t seed) {
  VirtualClock clock;
  SchedulerConfig cfg;
  cfg.chunk_size = 128;
  auto inst = test::make_instance(policy, blocks, cfg);
  std::mt19937 rng(seed);
  std::map<RequestId, std::vector<int32_t>> prompts;
  for (int i = 0; i < num_requests; ++i) {
    auto req = test::make_request(static_cast<RequestId>(i + 1), 0.0, 20 + static_cast<int32_t>(rng() % 60),
                                  30 + static_cast<int32_t>(rng() % 40));
    prompts[req->id] = req->tokens;
    EXPECT_TRUE(inst->submit(std::move(req)).is_ok());
  }
  RunSummary sum;
  for (int it = 0; it < 20000 && inst->has_work(); ++it) {
    StepPlan plan = inst->plan_step(clock.now_s());
    for (const StepRow& row : plan.rows) {
      // Row tokens are the request's known sequence: prompt ids, then the fake token 7.
      const auto& p = prompts[row.request_id];
      for (int32_t k = 0; k < row.num_tokens; ++k) {
        const int32_t pos = row.start_pos + k;
        const int32_t expect = pos < static_cast<int32_t>(p.size()) ? p[static_cast<size_t>(pos)] : 7;
        EXPECT_EQ(row.tokens[static_cast<size_t>(k)], expect);
      }
      EXPECT_GE(static_cast<int32_t>(row.block_table.size()) * kKvBlockSize, row.start_pos + row.num_tokens);
    }
    auto res = inst->backend().execute(plan);
    clock.advance_by(res->duration_s);
    inst->apply(plan, res, clock.now_s());
    for (const EngineEvent& ev : inst->take_events()) {
      if (ev.kind == EngineEventKind::kFinished) ++sum.finish_events[ev.request_id];
    }
    EXPECT_LE(inst->stats().num_free_blocks, blocks);
  }
  EXPECT_FALSE(inst->has_work());
  for (auto& req : inst->take_finished()) {
    sum.preemptions += req->num_preemptions;
    sum.outputs[req->id] = req->num_output_tokens();
    EXPECT_EQ(req->finish_reason, FinishReason::kLength);
    EXPECT_EQ(req->num_output_tokens(), req->max_output_tokens);
    EXPECT_TRUE(req->block_table.empty());
  }
  EXPECT_EQ(inst->stats().num_free_blocks, blocks);  // every block came back
  return sum;
}

class Preemption : public ::testing::TestWithParam<std::string> {};

TEST_P(Preemption, FreesAndRestoresWithoutLosingRequests) {
  // 24 requests of up to 150 positions (~10 blocks each) in 60 blocks: preemption is forced.
  RunSummary s = run_to_completion(GetParam(), 60, 24, 1234);
  EXPECT_GT(s.preemptions, 0);
  EXPECT_EQ(s.finish_events.size(), 24u);
  for (const auto& [id, n] : s.finish_events) EXPECT_EQ(n, 1) << "request " << id;
  EXPECT_EQ(s.outputs.size(), 24u);
}

INSTANTIATE_TEST_SUITE_P(Policies, Preemption, ::testing::Values("vllm", "sarathi"));

}  // namespace
}  // namespace asc
