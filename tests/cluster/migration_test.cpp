// Migration with KV blocks: a pressed HP instance hands a started decode back to LP without
// recompute; a refused attach returns the request home instead of losing it.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "engine/cluster/migration.h"
#include "engine/core/instance.h"
#include "engine/sim/sim_backend.h"
#include "tests/sched/ascendra_fixture.h"

namespace asc {
namespace {

using testing::a100_model;

std::unique_ptr<Instance> make_instance(PoolRole role, int32_t blocks, int32_t max_seqs) {
  SchedulerConfig cfg;
  cfg.max_seqs = max_seqs;
  PolicyContext ctx;
  ctx.config = cfg;
  ctx.perf_model = &a100_model();
  auto policy = make_policy(policy_name_for_pool("ascendra", role), ctx);
  InstanceConfig icfg;
  icfg.scheduler = cfg;
  return std::make_unique<Instance>(std::make_unique<SimBackend>(a100_model(), blocks), std::move(*policy),
                                    icfg, &a100_model());
}

std::unique_ptr<Request> request(RequestId id, double arrival, int32_t prompt, int32_t out) {
  auto r = std::make_unique<Request>(Request::with_length(id, arrival, prompt, out));
  r->ignore_eos = true;
  r->ttft_slo_s = 1.0;
  return r;
}

TEST(Migration, PressedHpHandsDecodesBackWithTheirKv) {
  auto lp = make_instance(PoolRole::kLow, 5000, 128);
  auto hp = make_instance(PoolRole::kHigh, 5000, 4);
  double now = 1.0;
  ASSERT_TRUE(hp->submit(request(1, now, 300, 50)).is_ok());
  ASSERT_TRUE(hp->step(now));  // prefill: first token
  now += 0.1;
  ASSERT_TRUE(hp->step(now));  // one decode
  const Request* started = hp->find(1);
  ASSERT_NE(started, nullptr);
  ASSERT_EQ(started->num_output_tokens(), 2);
  const int32_t computed = started->num_computed;
  std::vector<Instance*> ptrs{lp.get(), hp.get()};
  std::vector<PoolRole> roles{PoolRole::kLow, PoolRole::kHigh};
  MigrationStats stats;
  // Not pressed (ticket open): nothing moves.
  EXPECT_EQ(hand_back_decodes({ptrs, roles}, &a100_model(), now, stats), 0);
  // A waiting request closes the ticket: the decode moves to LP with its KV.
  ASSERT_TRUE(hp->submit(request(2, now, 100, 5)).is_ok());
  EXPECT_EQ(hand_back_decodes({ptrs, roles}, &a100_model(), now, stats), 1);
  EXPECT_EQ(hp->find(1), nullptr);
  const Request* moved = lp->find(1);
  ASSERT_NE(moved, nullptr);
  EXPECT_EQ(moved->num_computed, computed);  // no recompute
  EXPECT_EQ(moved->num_migrations, 1);
  EXPECT_EQ(moved->num_output_tokens(), 2);
  EXPECT_EQ(stats.num_moved, 1);
  // LP continues it as a decode (one token, no prefill row).
  StepPlan plan = lp->plan_step(now);
  ASSERT_EQ(plan.rows.size(), 1u);
  EXPECT_FALSE(plan.rows[0].is_prefill);
  EXPECT_EQ(plan.rows[0].start_pos, computed);
}

TEST(Migration, RefusedAttachReturnsTheRequestHome) {
  auto from = make_instance(PoolRole::kHigh, 5000, 8);
  auto to = make_instance(PoolRole::kLow, 5000, 8);
  ASSERT_TRUE(from->submit(request(7, 0.0, 200, 20)).is_ok());
  ASSERT_TRUE(from->step(0.0));
  ASSERT_TRUE(to->submit(request(7, 0.0, 10, 5)).is_ok());  // same id already there: refused
  MigrationStats stats;
  EXPECT_FALSE(migrate_request(*from, *to, 7, stats));
  EXPECT_EQ(stats.num_failed, 1);
  const Request* home = from->find(7);
  ASSERT_NE(home, nullptr);
  EXPECT_EQ(home->num_output_tokens(), 1);  // keeps its tokens, recomputes its KV
  EXPECT_EQ(home->num_computed, 0);
}

}  // namespace
}  // namespace asc
