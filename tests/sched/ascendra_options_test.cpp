// The Ascendra option string: defaults are the paper's design, every key parses, bad input is a
// clear error (never a crash), and the canonical string round-trips.
#include <gtest/gtest.h>

#include "engine/sched/ascendra_options.h"

namespace asc {
namespace {

TEST(AscendraOptions, DefaultsAreThePapersDesign) {
  auto o = parse_ascendra_options("");
  ASSERT_TRUE(o.is_ok());
  EXPECT_EQ(o->value, ValueFunction::kLeastSlack);
  EXPECT_EQ(o->hopeless, HopelessOrder::kPaper);
  EXPECT_TRUE(o->offload);
  EXPECT_TRUE(o->ticket);
  EXPECT_FALSE(o->ticket_balanced);
  EXPECT_DOUBLE_EQ(o->margin_scale, 1.0);
  EXPECT_LT(o->margin_s, 0.0);
  EXPECT_FALSE(o->tbt_budget || o->admission || o->migration || o->hp_aware);
  EXPECT_FALSE(o->hp_enforce_max_seqs);  // the authors' HP admits past max_seqs
  EXPECT_DOUBLE_EQ(o->tbt_headroom, 0.9);
  EXPECT_EQ(o->dispatch, LpDispatch::kRoundRobin);
}

TEST(AscendraOptions, ParsesEveryKey) {
  auto o = parse_ascendra_options(
      "value=sjf,hopeless=demote,offload=0,margin_scale=0.5,margin_ms=300,ticket=off,tbt_budget,"
      "dispatch=delay,hp_aware=1,admission=true,migration=yes,hp_enforce_max_seqs=1,tbt_headroom=0.8");
  ASSERT_TRUE(o.is_ok()) << o.status().to_string();
  EXPECT_EQ(o->value, ValueFunction::kShortestJob);
  EXPECT_EQ(o->hopeless, HopelessOrder::kDemote);
  EXPECT_FALSE(o->offload);
  EXPECT_DOUBLE_EQ(o->margin_scale, 0.5);
  EXPECT_DOUBLE_EQ(o->margin_s, 0.3);
  EXPECT_FALSE(o->ticket);
  EXPECT_TRUE(o->tbt_budget && o->hp_aware && o->admission && o->migration && o->hp_enforce_max_seqs);
  EXPECT_DOUBLE_EQ(o->tbt_headroom, 0.8);
  EXPECT_EQ(o->dispatch, LpDispatch::kPredictedDelay);
  auto again = parse_ascendra_options(ascendra_options_to_string(*o));
  ASSERT_TRUE(again.is_ok()) << ascendra_options_to_string(*o);
  EXPECT_EQ(ascendra_options_to_string(*again), ascendra_options_to_string(*o));
}

TEST(AscendraOptions, BalancedTicketIsATicketAndRoundTrips) {
  auto o = parse_ascendra_options("ticket=balanced");
  ASSERT_TRUE(o.is_ok()) << o.status().to_string();
  EXPECT_TRUE(o->ticket && o->ticket_balanced);
  auto again = parse_ascendra_options(ascendra_options_to_string(*o));
  ASSERT_TRUE(again.is_ok());
  EXPECT_TRUE(again->ticket_balanced);
  auto off = parse_ascendra_options("ticket=balanced,ticket=0");  // the last one wins
  ASSERT_TRUE(off.is_ok());
  EXPECT_FALSE(off->ticket || off->ticket_balanced);
}

TEST(AscendraOptions, RejectsBadInputWithTheKeyNamed) {
  for (const char* bad : {"nonsense=1", "value=fifo", "offload=maybe", "margin_scale=-1",
                          "margin_ms=abc", "dispatch=random", "hopeless=sometimes", "tbt_headroom=0",
                          "tbt_headroom=1.5", "hp_enforce_max_seqs=2", "ticket=sometimes"}) {
    auto o = parse_ascendra_options(bad);
    ASSERT_FALSE(o.is_ok()) << bad;
    EXPECT_EQ(o.status().code(), StatusCode::kInvalidArgument);
    const std::string key = std::string(bad).substr(0, std::string(bad).find('='));
    EXPECT_NE(o.status().message().find(key), std::string::npos) << o.status().message();
  }
}

}  // namespace
}  // namespace asc
