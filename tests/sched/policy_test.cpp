// Deterministic policy tests on a virtual clock: exact batch compositions of vllm and sarathi.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "engine/core/clock.h"
#include "tests/sched/fake_backend.h"

namespace asc {
namespace {

using test::make_instance;
using test::make_request;

// One iteration on the virtual clock; returns the executed plan.
StepPlan run_one(Instance& inst, VirtualClock& clock) {
  StepPlan plan = inst.plan_step(clock.now_s());
  StatusOr<StepResult> res = inst.backend().execute(plan);
  clock.advance_by(res.is_ok() ? res->duration_s : 0.0);
  inst.apply(plan, res, clock.now_s());
  return plan;
}

// 8 requests decoding, then a 1000-token prompt arrives.
void start_eight_decoders(Instance& inst, VirtualClock& clock) {
  for (RequestId id = 1; id <= 8; ++id) ASSERT_TRUE(inst.submit(make_request(id, 0.0, 20 + static_cast<int32_t>(id), 50)).is_ok());
  run_one(inst, clock);  // prefill of all eight (vllm) / sarathi: all fit in 512 too
  for (int i = 0; i < 3; ++i) run_one(inst, clock);
  ASSERT_EQ(inst.stats().num_running, 8);
}

TEST(VllmPolicy, LongPromptStallsDecodesForOnePrefillIteration) {
  VirtualClock clock;
  auto inst = make_instance("vllm", 1024);
  start_eight_decoders(*inst, clock);
  ASSERT_TRUE(inst->submit(make_request(100, clock.now_s(), 1000, 10)).is_ok());
  StepPlan p1 = run_one(*inst, clock);
  ASSERT_EQ(p1.rows.size(), 1u);  // prefill only: the eight decodes stall
  EXPECT_EQ(p1.rows[0].request_id, 100u);
  EXPECT_EQ(p1.rows[0].num_tokens, 1000);
  EXPECT_TRUE(p1.rows[0].is_prefill);
  EXPECT_TRUE(p1.rows[0].sample);
  StepPlan p2 = run_one(*inst, clock);
  ASSERT_EQ(p2.rows.size(), 9u);  // then a decode-only batch of all nine
  for (const StepRow& r : p2.rows) EXPECT_FALSE(r.is_prefill);
}

TEST(VllmPolicy, PrefillBatchTakesWholePromptsInArrivalOrderUpToTheBudget) {
  VirtualClock clock;
  SchedulerConfig cfg;
  cfg.max_batch_tokens = 300;
  auto inst = make_instance("vllm", 1024, cfg);
  ASSERT_TRUE(inst->submit(make_request(1, 0, 100, 4)).is_ok());
  ASSERT_TRUE(inst->submit(make_request(2, 0, 150, 4)).is_ok());
  ASSERT_TRUE(inst->submit(make_request(3, 0, 100, 4)).is_ok());  // would exceed 300
  ASSERT_TRUE(inst->submit(make_request(4, 0, 10, 4)).is_ok());   // fits, but arrival order stops at 3
  StepPlan p = run_one(*inst, clock);
  ASSERT_EQ(p.rows.size(), 2u);
  EXPECT_EQ(p.rows[0].request_id, 1u);
  EXPECT_EQ(p.rows[1].request_id, 2u);
  StepPlan p2 = run_one(*inst, clock);  // prefill-first: 3 and 4 before any decode
  ASSERT_EQ(p2.rows.size(), 2u);
  EXPECT_EQ(p2.rows[0].request_id, 3u);
  EXPECT_TRUE(p2.rows[1].is_prefill);
}

TEST(SarathiPolicy, LongPromptIsChunkedAndDecodesNeverSkipped) {
  VirtualClock clock;
  auto inst = make_instance("sarathi", 1024);
  start_eight_decoders(*inst, clock);
  ASSERT_TRUE(inst->submit(make_request(100, clock.now_s(), 1000, 10)).is_ok());
  std::vector<int32_t> chunks;
  while (inst->find(100) && inst->find(100)->in_prefill()) {
    StepPlan p = run_one(*inst, clock);
    EXPECT_LE(p.num_tokens(), 512);
    int32_t decodes = 0;
    for (const StepRow& r : p.rows) {
      if (!r.is_prefill) ++decodes;
      if (r.request_id == 100) chunks.push_back(r.num_tokens);
    }
    EXPECT_EQ(decodes, 8);  // every running decode, every iteration
  }
  // 512 budget - 8 decodes = 504 per chunk: 504 + 496.
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0], 504);
  EXPECT_EQ(chunks[1], 496);
}

TEST(SarathiPolicy, ChunksNewPromptsInArrivalOrderWithinBudget) {
  VirtualClock clock;
  SchedulerConfig cfg;
  cfg.chunk_size = 256;
  auto inst = make_instance("sarathi", 1024, cfg);
  ASSERT_TRUE(inst->submit(make_request(1, 0, 200, 3)).is_ok());
  ASSERT_TRUE(inst->submit(make_request(2, 0, 200, 3)).is_ok());
  StepPlan p1 = run_one(*inst, clock);
  ASSERT_EQ(p1.rows.size(), 2u);
  EXPECT_EQ(p1.rows[0].num_tokens, 200);
  EXPECT_TRUE(p1.rows[0].sample);
  EXPECT_EQ(p1.rows[1].num_tokens, 56);
  EXPECT_FALSE(p1.rows[1].sample);
  StepPlan p2 = run_one(*inst, clock);  // decode of 1 first, then the rest of 2
  ASSERT_EQ(p2.rows.size(), 2u);
  EXPECT_FALSE(p2.rows[0].is_prefill);
  EXPECT_EQ(p2.rows[0].request_id, 1u);
  EXPECT_EQ(p2.rows[1].start_pos, 56);
  EXPECT_EQ(p2.rows[1].num_tokens, 144);
}

TEST(PolicyFactory, UnknownNameListsKnownPolicies) {
  PolicyContext ctx;
  auto p = make_policy("nope", ctx);
  ASSERT_FALSE(p.is_ok());
  EXPECT_NE(p.status().message().find("sarathi"), std::string::npos);
  EXPECT_EQ(policy_name_for_pool("vllm", PoolRole::kLow), "vllm");
}

}  // namespace
}  // namespace asc
