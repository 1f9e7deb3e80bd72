// Fuzzed workloads through the simulator with the Ascendra dual pool: across offloads, ticket
// entries and preemptions no request is lost, duplicated or finished twice, every request gets
// exactly its tokens in time order, arrival times survive moves, and offload counts agree.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "engine/sim/simulator.h"
#include "tests/sched/ascendra_fixture.h"

namespace asc {
namespace {

std::vector<SimArrival> random_arrivals(uint64_t seed, int n, double qps) {
  std::mt19937_64 rng(seed);
  std::exponential_distribution<double> gap(qps);
  std::lognormal_distribution<double> prompt(5.5, 1.0), output(4.5, 1.0);
  std::uniform_real_distribution<double> slo_scale(0.5, 2.0);
  std::vector<SimArrival> out;
  double t = 0.0;
  for (int i = 0; i < n; ++i) {
    t += gap(rng);
    SimArrival a;
    a.id = 1000 + static_cast<uint64_t>(i) * 7;  // ids unrelated to positions
    a.arrival_s = t;
    a.num_prompt_tokens = std::clamp(static_cast<int32_t>(prompt(rng)), 1, 6000);
    a.num_output_tokens = std::clamp(static_cast<int32_t>(output(rng)), 1, 1500);
    a.ttft_slo_s = (i % 5 == 0) ? 0.0 : 1.0 * slo_scale(rng);  // some without objective
    a.tbt_slo_s = 0.15;
    out.push_back(a);
  }
  return out;
}

void check_invariants(const std::vector<SimArrival>& arrivals, const SimResult& res, const std::string& what) {
  ASSERT_EQ(res.records.size(), arrivals.size()) << what;
  std::set<uint64_t> ids;
  int64_t offloads = 0;
  for (size_t i = 0; i < arrivals.size(); ++i) {
    const RequestRecord& r = res.records[i];
    const SimArrival& a = arrivals[i];
    EXPECT_TRUE(ids.insert(r.id).second) << what << ": duplicate record " << r.id;
    EXPECT_EQ(r.id, a.id) << what;
    EXPECT_TRUE(r.success) << what << ": request " << r.id << " " << r.error;
    EXPECT_DOUBLE_EQ(r.arrival_s, a.arrival_s) << what << ": arrival rewritten for " << r.id;
    EXPECT_EQ(r.num_output_tokens, a.num_output_tokens) << what << ": " << r.id;
    ASSERT_EQ(r.token_times_s.size(), static_cast<size_t>(a.num_output_tokens)) << what;
    EXPECT_GT(r.token_times_s.front(), a.arrival_s) << what;
    EXPECT_TRUE(std::is_sorted(r.token_times_s.begin(), r.token_times_s.end())) << what;
    EXPECT_LE(r.num_offloads, 1) << what << ": HP never offloads again";
    offloads += r.num_offloads;
  }
  EXPECT_EQ(offloads, res.num_offloads) << what;
}

struct Variant {
  const char* options;
  int32_t kv_blocks;  // small pools force preemption
};

TEST(AscendraFuzz, NoRequestLostDuplicatedOrFinishedTwice) {
  const PerfModel& model = testing::a100_model();
  const Variant variants[] = {
      {"", 0},
      {"", 700},
      {"tbt_budget=1,dispatch=delay", 700},
      {"hopeless=demote,value=sjf,ticket=0", 0},
      {"tbt_budget=1,margin_scale=0.3", 400},
      {"migration=1,tbt_budget=1", 700},
      {"migration=1,margin=queue,hp_aware=1", 0},
  };
  int64_t total_offloads = 0, total_migrations = 0;
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    const auto arrivals = random_arrivals(seed, 300, 25.0);
    for (const Variant& v : variants) {
      SimConfig cfg;
      cfg.policy = "ascendra";
      cfg.pools = *PoolSpec::parse("low:2,high:1");
      cfg.policy_options = v.options;
      cfg.num_kv_blocks = v.kv_blocks;
      cfg.scheduler.max_seqs = 64;
      auto res = simulate(model, cfg, arrivals);
      ASSERT_TRUE(res.is_ok()) << res.status().to_string();
      const std::string what = "seed " + std::to_string(seed) + " options '" + v.options + "' blocks " +
                               std::to_string(v.kv_blocks);
      check_invariants(arrivals, *res, what);
      total_offloads += res->num_offloads;
      for (const RequestRecord& r : res->records) total_migrations += r.num_migrations;
    }
  }
  EXPECT_GT(total_offloads, 0) << "the workloads must exercise offloading";
  EXPECT_GT(total_migrations, 0) << "the workloads must exercise migration";
}

// The same input gives the same decisions (the virtual clock makes the simulation a function).
TEST(AscendraFuzz, Deterministic) {
  const auto arrivals = random_arrivals(9, 200, 22.0);
  SimConfig cfg;
  cfg.policy = "ascendra";
  cfg.pools = *PoolSpec::parse("low:2,high:1");
  auto a = simulate(testing::a100_model(), cfg, arrivals);
  auto b = simulate(testing::a100_model(), cfg, arrivals);
  ASSERT_TRUE(a.is_ok() && b.is_ok());
  EXPECT_EQ(a->num_offloads, b->num_offloads);
  for (size_t i = 0; i < arrivals.size(); ++i) EXPECT_EQ(a->records[i].token_times_s, b->records[i].token_times_s);
}

}  // namespace
}  // namespace asc

namespace asc {
namespace {

// Admission control under overload: some arrivals are rejected with a clear reason, none of them is
// also served, every other request completes.
TEST(AscendraFuzz, AdmissionControlRejectsAtArrivalAndServesTheRest) {
  auto arrivals = random_arrivals(5, 400, 40.0);
  for (SimArrival& a : arrivals) a.num_prompt_tokens = 3000 + a.num_prompt_tokens;  // far past capacity
  SimConfig cfg;
  cfg.policy = "ascendra";
  cfg.pools = *PoolSpec::parse("low:2,high:1");
  cfg.policy_options = "admission=1";
  auto res = simulate(testing::a100_model(), cfg, arrivals);
  ASSERT_TRUE(res.is_ok());
  int rejected = 0;
  for (const RequestRecord& r : res->records) {
    if (r.success) {
      EXPECT_FALSE(r.token_times_s.empty());
      continue;
    }
    ++rejected;
    EXPECT_NE(r.error.find("cannot meet the TTFT objective"), std::string::npos) << r.error;
    EXPECT_TRUE(r.token_times_s.empty());
    EXPECT_GT(r.ttft_slo_s, 0.0);
  }
  EXPECT_GT(rejected, 0);
  EXPECT_LT(rejected, 400);
}

}  // namespace
}  // namespace asc
