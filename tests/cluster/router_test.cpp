// Dual-pool dispatch: the ticket rule at its boundaries, ticket entry with real instances,
// round-robin and predicted-delay LP dispatch, offloads to HP keeping their arrival time, and
// admission control.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "engine/cluster/dual_pool.h"
#include "engine/core/instance.h"
#include "engine/sim/sim_backend.h"
#include "tests/sched/ascendra_fixture.h"

namespace asc {
namespace {

using testing::a100_model;

InstanceStats hp_stats(int32_t running, int32_t waiting, int32_t free_blocks) {
  InstanceStats s;
  s.num_running = running;
  s.num_waiting = waiting;
  s.max_seqs = 128;
  s.num_blocks = 1000;
  s.num_free_blocks = free_blocks;
  return s;
}

TEST(Ticket, OpenOnlyWhenIdleEnoughAtTheBoundaries) {
  EXPECT_TRUE(ticket_open(hp_stats(0, 0, 1000)));
  EXPECT_TRUE(ticket_open(hp_stats(63, 0, 101)));
  EXPECT_FALSE(ticket_open(hp_stats(64, 0, 1000)));  // half of max_seqs running
  EXPECT_FALSE(ticket_open(hp_stats(0, 0, 100)));    // exactly 10% free is not "more than"
  EXPECT_FALSE(ticket_open(hp_stats(0, 1, 1000)));   // something pending
}

// A deployment of sim instances: LP0, LP1, HP2.
class Cluster {
 public:
  explicit Cluster(const std::string& options, int32_t max_seqs = 128) {
    SchedulerConfig cfg;
    cfg.max_seqs = max_seqs;
    const int32_t blocks = 20000;
    PolicyContext ctx;
    ctx.config = cfg;
    ctx.perf_model = &a100_model();
    ctx.options = options;
    for (PoolRole role : {PoolRole::kLow, PoolRole::kLow, PoolRole::kHigh}) {
      auto policy = make_policy(policy_name_for_pool("ascendra", role), ctx);
      InstanceConfig icfg;
      icfg.scheduler = cfg;
      instances_.push_back(std::make_unique<Instance>(std::make_unique<SimBackend>(a100_model(), blocks),
                                                      std::move(*policy), icfg, &a100_model()));
      ptrs_.push_back(instances_.back().get());
      roles_.push_back(role);
    }
    DispatcherContext dctx;
    dctx.perf_model = &a100_model();
    dctx.options = options;
    auto d = make_dispatcher("dual-pool", dctx);
    EXPECT_TRUE(d.is_ok());
    dispatcher_ = std::move(*d);
  }
  ClusterView view() const { return {ptrs_, roles_}; }
  Instance& at(size_t i) { return *instances_[i]; }
  Dispatcher& dispatcher() { return *dispatcher_; }
  /// Routes and submits; returns the instance index.
  size_t arrive(RequestId id, double now, int32_t prompt, double ttft = 1.0) {
    auto req = std::make_unique<Request>(Request::with_length(id, now, prompt, 8));
    req->ttft_slo_s = ttft;
    req->ignore_eos = true;
    const size_t i = dispatcher_->route(*req, view(), now);
    EXPECT_TRUE(instances_[i]->submit(std::move(req)).is_ok());
    return i;
  }

 private:
  std::vector<std::unique_ptr<Instance>> instances_;
  std::vector<Instance*> ptrs_;
  std::vector<PoolRole> roles_;
  std::unique_ptr<Dispatcher> dispatcher_;
};

TEST(DualPool, TicketEntryThenRoundRobinOverLp) {
  Cluster c("");
  EXPECT_EQ(c.arrive(1, 0.0, 100), 2u);  // HP idle: ticket
  EXPECT_EQ(c.arrive(2, 0.0, 100), 0u);  // HP has one waiting: LP in turn
  EXPECT_EQ(c.arrive(3, 0.0, 100), 1u);
  EXPECT_EQ(c.arrive(4, 0.0, 100), 0u);
  auto* d = dynamic_cast<DualPoolDispatcher*>(&c.dispatcher());
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->num_ticket_entries(), 1);
}

// ticket=balanced: HP takes a new request only while it carries no more than the least-loaded LP,
// so with idle instances arrivals alternate HP, LP, HP, ... instead of all going to HP.
TEST(DualPool, BalancedTicketKeepsHpNoBusierThanLp) {
  Cluster c("ticket=balanced");
  EXPECT_EQ(c.arrive(1, 0.0, 100), 2u);  // all idle: ticket
  ASSERT_TRUE(c.at(2).step(0.0));  // HP starts its request
  EXPECT_EQ(c.arrive(2, 0.0, 100), 0u);  // HP runs 1 > LP 0
  EXPECT_EQ(c.arrive(3, 0.0, 100), 1u);
  for (size_t i = 0; i < 3; ++i) ASSERT_TRUE(c.at(i).step(0.1));  // every instance runs one
  EXPECT_EQ(c.arrive(4, 0.1, 100), 2u);  // 1 <= min(1, 1): ticket again
  auto* d = dynamic_cast<DualPoolDispatcher*>(&c.dispatcher());
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->num_ticket_entries(), 2);
}

TEST(DualPool, TicketOffGoesRoundRobinOverLpOnly) {
  Cluster c("ticket=0");
  EXPECT_EQ(c.arrive(1, 0.0, 100), 0u);
  EXPECT_EQ(c.arrive(2, 0.0, 100), 1u);
  EXPECT_EQ(c.arrive(3, 0.0, 100), 0u);
}

TEST(DualPool, PredictedDelayPicksTheLessLoadedLp) {
  Cluster c("ticket=0,dispatch=delay");
  for (RequestId id = 1; id <= 3; ++id) ASSERT_TRUE(c.at(0).submit(std::make_unique<Request>(
      Request::with_length(id, 0.0, 3000, 8))).is_ok());
  ASSERT_TRUE(c.at(1).submit(std::make_unique<Request>(Request::with_length(9, 0.0, 100, 8))).is_ok());
  EXPECT_GT(predicted_start_delay_s(c.at(0), &a100_model()), predicted_start_delay_s(c.at(1), &a100_model()));
  EXPECT_EQ(c.arrive(10, 0.0, 100), 1u);
  EXPECT_EQ(c.arrive(11, 0.0, 100), 1u);  // still the less loaded, not round-robin
}

// An LP instance offloads an at-risk request; it is taken and submitted to HP by reroute() and keeps
// its arrival time, so its TTFT counts from the original arrival.
TEST(DualPool, OffloadedRequestKeepsArrivalAndIsServedByHp) {
  Cluster c("ticket=0", /*max_seqs=*/1);
  const double now = 5.0;
  // LP0 runs one long request (its only sequence slot), so new prompts must wait there.
  auto big = std::make_unique<Request>(Request::with_length(3, now - 1.0, 1000, 100));
  big->ignore_eos = true;
  ASSERT_TRUE(c.at(0).submit(std::move(big)).is_ok());
  ASSERT_TRUE(c.at(0).step(now - 1.0));
  auto late = std::make_unique<Request>(Request::with_length(1, now - 0.5, 200, 4));
  late->ttft_slo_s = 1.0;
  late->ignore_eos = true;
  auto fresh = std::make_unique<Request>(Request::with_length(2, now, 200, 4));
  fresh->ttft_slo_s = 1.0;
  fresh->ignore_eos = true;
  ASSERT_TRUE(c.at(0).submit(std::move(late)).is_ok());
  ASSERT_TRUE(c.at(0).submit(std::move(fresh)).is_ok());
  (void)c.at(0).take_events();
  StepPlan plan = c.at(0).plan_step(now);
  ASSERT_EQ(plan.rows.size(), 1u);
  EXPECT_EQ(plan.rows[0].request_id, 3u);
  std::vector<RequestId> offloaded;
  for (const EngineEvent& ev : c.at(0).take_events()) {
    if (ev.kind == EngineEventKind::kOffloaded) offloaded.push_back(ev.request_id);
  }
  // late: 0.5 + max(decode, 0.04 prefill) + 0.68 margin > 1; fresh: 0 + 0.04 + 0.68 < 1.
  ASSERT_EQ(offloaded, std::vector<RequestId>{1});
  std::unique_ptr<Request> moved = c.at(0).take_request(1);
  ASSERT_NE(moved, nullptr);
  EXPECT_EQ(moved->num_offloads, 1);
  const size_t target = c.dispatcher().reroute(*moved, 0, c.view(), now);
  EXPECT_EQ(target, 2u);
  ASSERT_TRUE(c.at(target).submit(std::move(moved)).is_ok());
  ASSERT_NE(c.at(2).find(1), nullptr);
  EXPECT_DOUBLE_EQ(c.at(2).find(1)->arrival_s, now - 0.5);
  ASSERT_TRUE(c.at(2).step(now));  // HP prefill
  auto finished = c.at(2).take_finished();
  const Request* r = c.at(2).find(1);
  ASSERT_NE(r, nullptr);
  ASSERT_EQ(r->token_times_s.size(), 1u);
  const double ttft = r->to_record().token_times_s[0] - r->to_record().arrival_s;
  EXPECT_NEAR(ttft, 0.5 + a100_model().predict_prefill_s(200), 1e-9);
  EXPECT_LT(ttft, 1.0);
}

// hp_aware: an offload stays on its LP instance when the HP backlog would make it miss anyway.
TEST(DualPool, HpAwareRerouteKeepsOffloadWhenHpIsSaturated) {
  for (bool aware : {false, true}) {
    Cluster c(aware ? "hp_aware=1" : "");
    const double now = 5.0;
    for (RequestId id = 1; id <= 4; ++id) {  // HP backlog: 4 x 4000-token prompts (~1.2 s)
      auto r = std::make_unique<Request>(Request::with_length(id, now, 4000, 8));
      r->ttft_slo_s = 10.0;
      ASSERT_TRUE(c.at(2).submit(std::move(r)).is_ok());
    }
    auto late = Request::with_length(9, now - 0.3, 200, 8);
    late.ttft_slo_s = 1.0;
    EXPECT_EQ(c.dispatcher().reroute(late, 0, c.view(), now), aware ? 0u : 2u);
    auto early = Request::with_length(10, now, 200, 8);
    early.ttft_slo_s = 5.0;  // HP can still make it
    EXPECT_EQ(c.dispatcher().reroute(early, 1, c.view(), now), 2u);
  }
}

TEST(DualPool, AdmissionControlRejectsOnlyHopelessArrivals) {
  Cluster off("");
  Cluster on("admission=1");
  auto req = Request::with_length(1, 0.0, 100, 8);
  req.ttft_slo_s = 1.0;
  EXPECT_TRUE(off.dispatcher().admit(req, off.view(), 5.0).is_ok());
  Status s = on.dispatcher().admit(req, on.view(), 5.0);
  EXPECT_EQ(s.code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(s.message().find("TTFT"), std::string::npos);
  EXPECT_TRUE(on.dispatcher().admit(req, on.view(), 0.1).is_ok());
  auto no_slo = Request::with_length(2, 0.0, 100, 8);
  EXPECT_TRUE(on.dispatcher().admit(no_slo, on.view(), 50.0).is_ok());
}

}  // namespace
}  // namespace asc
