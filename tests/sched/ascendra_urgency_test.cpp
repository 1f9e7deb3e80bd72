// Urgency values: slack ordering, its evolution with time, hopeless requests and the SJF ablation.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "engine/sched/urgency.h"

namespace asc {
namespace {

TEST(Urgency, SlackIsSloMinusWaitedMinusPrefill) {
  const UrgencyInputs in{.waited_s = 0.3, .solo_prefill_s = 0.2, .ttft_slo_s = 1.0, .num_prompt_tokens = 10};
  EXPECT_DOUBLE_EQ(slack_s(in), 0.5);
  EXPECT_DOUBLE_EQ(urgency_value(ValueFunction::kLeastSlack, in), 2.0);
  EXPECT_FALSE(is_hopeless(in));
}

TEST(Urgency, HopelessIsInfinite) {
  UrgencyInputs in{.waited_s = 0.8, .solo_prefill_s = 0.2, .ttft_slo_s = 1.0, .num_prompt_tokens = 10};
  EXPECT_TRUE(is_hopeless(in));  // slack exactly 0
  EXPECT_TRUE(std::isinf(urgency_value(ValueFunction::kLeastSlack, in)));
  in.waited_s = 5.0;
  EXPECT_TRUE(std::isinf(urgency_value(ValueFunction::kLeastSlack, in)));
}

TEST(Urgency, NoObjectiveIsLeastUrgent) {
  const UrgencyInputs in{.waited_s = 100.0, .solo_prefill_s = 1.0, .ttft_slo_s = 0.0, .num_prompt_tokens = 3};
  EXPECT_EQ(urgency_value(ValueFunction::kLeastSlack, in), 0.0);
  EXPECT_FALSE(is_hopeless(in));
}

// Value rises monotonically as a request waits, and the order of two requests can flip: a short
// prompt that arrived late overtakes nobody until its own slack is smaller.
TEST(Urgency, ValueRisesWithWaitingAndOrderEvolves) {
  const double slo = 1.0;
  // a arrived at t=0 with a long prompt (0.5 s prefill); b arrives at t=0.3 with 0.05 s prefill.
  auto value_at = [&](double now, double arrival, double prefill) {
    return urgency_value(ValueFunction::kLeastSlack,
                         {.waited_s = now - arrival, .solo_prefill_s = prefill, .ttft_slo_s = slo});
  };
  double prev = 0.0;
  for (double t = 0.0; t < 0.5; t += 0.01) {
    const double v = value_at(t, 0.0, 0.5);
    EXPECT_GT(v, prev);
    prev = v;
  }
  // At t=0.3: slack(a) = 1 - 0.8 = 0.2, slack(b) = 1 - 0.05 = 0.95 -> a first.
  EXPECT_GT(value_at(0.3, 0.0, 0.5), value_at(0.3, 0.3, 0.05));
  // Compare c (arrived t=0, prefill 0.1) with b: at t=0.3 c has slack 0.6 < 0.95 -> c first; under
  // SJF b (shorter) goes first.
  EXPECT_GT(value_at(0.3, 0.0, 0.1), value_at(0.3, 0.3, 0.05));
  EXPECT_GT(urgency_value(ValueFunction::kShortestJob, {.num_prompt_tokens = 20}),
            urgency_value(ValueFunction::kShortestJob, {.num_prompt_tokens = 200}));
}

// Sorting random requests by value equals sorting them by slack ascending (least slack first), for
// those that are not hopeless; hopeless ones all compare greater than any finite value.
TEST(Urgency, ValueOrderEqualsLeastSlackOrderOnRandomRequests) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> waited(0.0, 1.5), prefill(0.01, 0.6);
  std::vector<UrgencyInputs> reqs(200);
  for (auto& r : reqs) r = {.waited_s = waited(rng), .solo_prefill_s = prefill(rng), .ttft_slo_s = 1.0};
  auto by_value = reqs;
  std::stable_sort(by_value.begin(), by_value.end(), [](const auto& a, const auto& b) {
    return urgency_value(ValueFunction::kLeastSlack, a) > urgency_value(ValueFunction::kLeastSlack, b);
  });
  bool seen_finite = false;
  for (size_t i = 0; i < by_value.size(); ++i) {
    const bool hopeless = is_hopeless(by_value[i]);
    if (!hopeless) seen_finite = true;
    EXPECT_FALSE(hopeless && seen_finite) << "hopeless request sorted after a finite one";
    if (i > 0 && !hopeless) {
      EXPECT_LE(slack_s(by_value[i - 1]), slack_s(by_value[i]));
    }
  }
}

TEST(Urgency, ParsesNames) {
  EXPECT_EQ(parse_value_function("slack"), ValueFunction::kLeastSlack);
  EXPECT_EQ(parse_value_function("sjf"), ValueFunction::kShortestJob);
  EXPECT_FALSE(parse_value_function("fifo").has_value());
}

}  // namespace
}  // namespace asc
