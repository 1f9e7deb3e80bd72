// Ascendra HP policy on exact states: prefill-first, least slack first, hopeless last, resumed
// requests before new ones, decodes when nothing can be admitted, and the TBT-capped mixed batch.
#include <gtest/gtest.h>

#include "engine/sched/ascendra_hp_policy.h"
#include "tests/sched/ascendra_fixture.h"

namespace asc {
namespace {

using testing::StateBench;
using testing::a100_model;

AscendraHpPolicy make_hp(const SchedulerConfig& cfg, const std::string& opts) {
  PolicyContext ctx;
  ctx.config = cfg;
  ctx.perf_model = &a100_model();
  ctx.options = opts;
  return AscendraHpPolicy(ctx, *parse_ascendra_options(opts));
}

std::vector<RequestId> ids_of(const StepPlan& plan) {
  std::vector<RequestId> out;
  for (const StepRow& r : plan.rows) out.push_back(r.request_id);
  return out;
}

// Prompts in least-slack order with the hopeless one last; the running decodes stall for this
// iteration (prefill-only batch).
TEST(AscendraHp, PrefillFirstLeastSlackFirstHopelessLast) {
  SchedulerConfig cfg;
  const double now = 10.0;
  StateBench bench(100000, cfg, &a100_model());
  bench.add_decode(1, 8.0, 100, 5, now);
  bench.add_waiting(2, 5.0, 100, 1.0);          // hopeless
  bench.add_waiting(3, now - 0.5, 100, 1.0);    // slack ~0.47
  bench.add_waiting(4, now - 0.8, 100, 1.0);    // slack ~0.17
  auto hp = make_hp(cfg, "");
  bench.state().begin_plan();
  StepPlan plan = hp.schedule(bench.state(), now);
  EXPECT_EQ(ids_of(plan), (std::vector<RequestId>{4, 3, 2}));
  EXPECT_EQ(plan.num_decode_rows(), 0);
}

// Prefill batches stop at the first prompt that does not fit the token budget (no skipping).
TEST(AscendraHp, StopsAtFirstPromptOverBudget) {
  SchedulerConfig cfg;
  cfg.max_batch_tokens = 1000;
  const double now = 10.0;
  StateBench bench(100000, cfg, &a100_model());
  bench.add_waiting(1, now - 0.8, 600, 1.0);
  bench.add_waiting(2, now - 0.7, 600, 1.0);
  bench.add_waiting(3, now - 0.1, 100, 1.0);
  auto hp = make_hp(cfg, "");
  bench.state().begin_plan();
  EXPECT_EQ(ids_of(hp.schedule(bench.state(), now)), (std::vector<RequestId>{1}));
}

// A resumed request (already streaming, preempted earlier) goes before new prompts.
TEST(AscendraHp, ResumedRequestsFirst) {
  SchedulerConfig cfg;
  const double now = 10.0;
  StateBench bench(100000, cfg, &a100_model());
  bench.add_waiting(1, now - 0.9, 100, 1.0);
  Request& resumed = bench.add_waiting(2, 1.0, 100, 1.0);
  resumed.token_times_s = {2.0, 2.1};
  resumed.first_scheduled_s = 1.5;
  auto hp = make_hp(cfg, "");
  bench.state().begin_plan();
  StepPlan plan = hp.schedule(bench.state(), now);
  ASSERT_EQ(plan.rows.size(), 2u);
  EXPECT_EQ(plan.rows[0].request_id, 2u);
  EXPECT_EQ(plan.rows[0].num_tokens, 102);  // prompt + generated tokens recomputed
}

// Nothing admissible (max_seqs reached and enforced): a decode-only batch of all running requests.
TEST(AscendraHp, DecodesWhenNothingCanBeAdmitted) {
  SchedulerConfig cfg;
  cfg.max_seqs = 2;
  StateBench bench(100000, cfg, &a100_model());
  bench.add_decode(1, 0.0, 50, 2, 1.0);
  bench.add_decode(2, 0.0, 70, 2, 1.0);
  bench.add_waiting(3, 0.5, 10, 1.0);
  auto hp = make_hp(cfg, "hp_enforce_max_seqs=1");
  bench.state().begin_plan();
  StepPlan plan = hp.schedule(bench.state(), 1.0);
  EXPECT_EQ(ids_of(plan), (std::vector<RequestId>{1, 2}));
  EXPECT_EQ(plan.num_decode_rows(), 2);
}

// The authors' default: max_seqs does not cap HP admission while >= 5% of the KV blocks are free;
// below 5% free it does.
TEST(AscendraHp, AdmitsPastMaxSeqsWhileKvIsFree) {
  SchedulerConfig cfg;
  cfg.max_seqs = 2;
  auto run = [&](int32_t num_blocks, const std::string& opts) {
    StateBench bench(num_blocks, cfg, &a100_model());
    bench.add_decode(1, 0.0, 1500, 2, 1.0);  // 94 blocks of 16 positions each
    bench.add_decode(2, 0.0, 1500, 2, 1.0);  // 94
    bench.add_waiting(3, 0.5, 10, 1.0);      // needs 1
    auto hp = make_hp(cfg, opts);
    bench.state().begin_plan();
    return ids_of(hp.schedule(bench.state(), 1.0));
  };
  const std::vector<RequestId> prefill{3}, decodes{1, 2};
  EXPECT_EQ(run(200, ""), prefill);                         // 12 of 200 free (6%)
  EXPECT_EQ(run(196, ""), decodes);                         // 8 of 196 free (4.1%): the block fits, but < 5%
  EXPECT_EQ(run(200, "hp_enforce_max_seqs=1"), decodes);    // the hard cap
}

// tbt_budget: decodes keep running and prompts join up to the tightest TBT slack.
TEST(AscendraHp, TbtBudgetMixesPromptsUnderTheCap) {
  SchedulerConfig cfg;
  const double now = 10.0;
  StateBench bench(100000, cfg, &a100_model());
  for (RequestId id = 1; id <= 4; ++id) bench.add_decode(id, 8.0, 300, 5, now, 0.08);
  bench.add_waiting(5, now - 0.7, 200, 1.0);   // slack ~0.28
  bench.add_waiting(6, now - 0.1, 5000, 1.0);  // slack ~0.51
  auto hp = make_hp(cfg, "tbt_budget=1");
  bench.state().begin_plan();
  StepPlan plan = hp.schedule(bench.state(), now);
  EXPECT_EQ(plan.num_decode_rows(), 4);
  ASSERT_EQ(plan.rows.size(), 6u);
  EXPECT_EQ(plan.rows[4].request_id, 5u);
  EXPECT_EQ(plan.rows[4].num_tokens, 200);
  EXPECT_EQ(plan.rows[5].request_id, 6u);
  EXPECT_LT(plan.rows[5].num_tokens, 5000);
  EXPECT_LE(a100_model().predict_s(BatchShape::from_plan(plan)), 0.08 + 1e-9);
}

}  // namespace
}  // namespace asc
