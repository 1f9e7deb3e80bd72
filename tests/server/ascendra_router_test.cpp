// The server's dual-pool router on fabricated loads: ticket entry, round-robin over LOW, offloads
// to HIGH, least-predicted-delay LOW dispatch.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "server/ascendra_router.h"

namespace asc::server {
namespace {

InstanceLoad load(int32_t running, int32_t waiting, int32_t used = 0) {
  InstanceLoad l;
  l.num_running = running;
  l.num_waiting = waiting;
  l.num_kv_blocks_used = used;
  l.num_kv_blocks_total = 1000;
  l.max_seqs = 8;
  return l;
}

const std::vector<std::string> kPools = {"low", "low", "high"};

int route(RouteFn& fn, const std::vector<InstanceLoad>& loads, int from = -1) {
  Request req = Request::with_length(1, 0.0, 10, 4);
  return fn(RouteContext{req, loads, kPools, from});
}

TEST(AscendraRouter, TicketEntryThenRoundRobinOverLow) {
  RouteFn fn = make_dual_pool_router(*parse_ascendra_options(""));
  EXPECT_EQ(route(fn, {load(0, 0), load(0, 0), load(3, 0)}), 2);      // 3 < 8/2: ticket
  EXPECT_EQ(route(fn, {load(0, 0), load(0, 0), load(4, 0)}), 0);      // half running: no ticket
  EXPECT_EQ(route(fn, {load(0, 0), load(0, 0), load(0, 1)}), 1);      // HP has a waiting one
  EXPECT_EQ(route(fn, {load(0, 0), load(0, 0), load(0, 0, 900)}), 0); // only 10% KV free
}

TEST(AscendraRouter, BalancedTicketNeedsHighNoBusierThanTheLeastLoadedLow) {
  RouteFn fn = make_dual_pool_router(*parse_ascendra_options("ticket=balanced"));
  EXPECT_EQ(route(fn, {load(2, 0), load(1, 1), load(2, 0)}), 2);  // 2 <= min(2, 2): ticket
  EXPECT_EQ(route(fn, {load(2, 0), load(1, 0), load(2, 0)}), 0);  // 2 > 1: LOW in turn
  EXPECT_EQ(route(fn, {load(0, 0), load(0, 0), load(1, 0)}), 1);
  EXPECT_EQ(route(fn, {load(5, 0), load(6, 0), load(3, 0)}), 2);
  EXPECT_EQ(route(fn, {load(5, 0), load(6, 0), load(4, 0)}), 0);  // the paper's half-max bound still holds
}

TEST(AscendraRouter, OffloadsGoToHighEvenWhenItIsBusy) {
  RouteFn fn = make_dual_pool_router(*parse_ascendra_options(""));
  EXPECT_EQ(route(fn, {load(0, 0), load(0, 0), load(8, 5)}, /*from=*/0), 2);
}

InstanceLoad delayed(InstanceLoad l, double delay_s) {
  l.predicted_start_delay_s = delay_s;
  return l;
}

TEST(AscendraRouter, DelayDispatchPicksTheLowWithTheLeastPredictedDelay) {
  RouteFn fn = make_dual_pool_router(*parse_ascendra_options("ticket=0,dispatch=delay"));
  // The predicted delay decides, not the counts: one long prompt waiting outweighs three short ones.
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(route(fn, {delayed(load(2, 3), 0.2), delayed(load(1, 1), 0.9), load(0, 0)}), 0);
  }
  EXPECT_EQ(route(fn, {delayed(load(2, 3), 0.5), delayed(load(5, 1), 0.1), load(0, 0)}), 1);
  // Equal delays (no model, or idle): fewer waiting, then fewer running.
  for (int i = 0; i < 4; ++i) EXPECT_EQ(route(fn, {load(2, 3), load(5, 1), load(0, 0)}), 1);
  EXPECT_EQ(route(fn, {load(1, 1), load(5, 1), load(0, 0)}), 0);
  // Full ties rotate over LOW.
  EXPECT_NE(route(fn, {load(0, 0), load(0, 0), load(0, 0)}), route(fn, {load(0, 0), load(0, 0), load(0, 0)}));
}

}  // namespace
}  // namespace asc::server
