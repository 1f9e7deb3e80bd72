// Arrival processes: rates and gap dispersion within statistical tolerance for fixed seeds,
// sampler moments, determinism, replay scaling.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "engine/workload/arrivals.h"

namespace asc::workload {
namespace {

struct Moments {
  double mean = 0.0;
  double cv = 0.0;  // standard deviation / mean
};

Moments gap_moments(const std::vector<double>& arrivals) {
  std::vector<double> gaps;
  for (size_t i = 1; i < arrivals.size(); ++i) gaps.push_back(arrivals[i] - arrivals[i - 1]);
  double sum = 0.0;
  for (double g : gaps) sum += g;
  const double mean = sum / static_cast<double>(gaps.size());
  double sq = 0.0;
  for (double g : gaps) sq += (g - mean) * (g - mean);
  return {mean, std::sqrt(sq / static_cast<double>(gaps.size() - 1)) / mean};
}

TEST(ArrivalsTest, EngineIsTheStandardMt19937_64) {
  // The C++ standard fixes the 10000th output of a default-seeded mt19937_64.
  Rng rng(5489u);
  uint64_t x = 0;
  for (int i = 0; i < 10000; ++i) x = rng.next_u64();
  EXPECT_EQ(x, 9981545732273789042ULL);
}

TEST(ArrivalsTest, PoissonRateAndExponentialGaps) {
  const size_t n = 20001;
  for (double rate : {0.5, 4.0, 200.0}) {
    std::vector<double> a = poisson_arrivals(n, rate, 42);
    ASSERT_EQ(a.size(), n);
    EXPECT_EQ(a[0], 0.0);
    EXPECT_TRUE(std::is_sorted(a.begin(), a.end()));
    const Moments m = gap_moments(a);
    // Mean of 20000 exponential gaps: relative standard error 1/sqrt(20000) = 0.7%; allow 3%.
    EXPECT_NEAR(m.mean * rate, 1.0, 0.03) << "rate " << rate;
    EXPECT_NEAR(m.cv, 1.0, 0.04) << "rate " << rate;
  }
}

TEST(ArrivalsTest, PoissonGapsFollowTheExponentialCdf) {
  // Share of gaps shorter than k/rate must be 1 - exp(-k), the tail included (no truncation).
  const double rate = 10.0;
  std::vector<double> a = poisson_arrivals(50001, rate, 7);
  for (double k : {0.1, 0.5, 1.0, 2.0, 4.0, 6.0}) {
    size_t below = 0;
    for (size_t i = 1; i < a.size(); ++i) below += (a[i] - a[i - 1]) < k / rate ? 1 : 0;
    const double share = static_cast<double>(below) / 50000.0;
    EXPECT_NEAR(share, 1.0 - std::exp(-k), 0.006) << "k " << k;
  }
}

TEST(ArrivalsTest, GammaKeepsTheRateAndSetsCvToInverseSqrtBurstiness) {
  const double rate = 5.0;
  for (double b : {0.25, 0.5, 2.0, 4.0}) {
    std::vector<double> a = gamma_arrivals(40001, rate, b, 1234);
    const Moments m = gap_moments(a);
    EXPECT_NEAR(m.mean * rate, 1.0, 0.04) << "burstiness " << b;
    EXPECT_NEAR(m.cv, 1.0 / std::sqrt(b), 0.05 / std::sqrt(b)) << "burstiness " << b;
  }
}

TEST(ArrivalsTest, BurstinessOneIsPoisson) {
  EXPECT_EQ(gamma_arrivals(100, 3.0, 1.0, 99), poisson_arrivals(100, 3.0, 99));
}

TEST(ArrivalsTest, SameSeedSameStreamDifferentSeedDifferentStream) {
  EXPECT_EQ(gamma_arrivals(50, 2.0, 0.5, 1), gamma_arrivals(50, 2.0, 0.5, 1));
  EXPECT_NE(gamma_arrivals(50, 2.0, 0.5, 1), gamma_arrivals(50, 2.0, 0.5, 2));
}

TEST(ArrivalsTest, PoissonAtTwiceTheRateIsTheSameScheduleCompressed) {
  std::vector<double> slow = poisson_arrivals(100, 1.0, 5);
  std::vector<double> fast = poisson_arrivals(100, 2.0, 5);
  for (size_t i = 0; i < slow.size(); ++i) EXPECT_NEAR(fast[i], slow[i] / 2.0, 1e-9);
}

TEST(ArrivalsTest, ArrivalsUntilDurationStayInsideIt) {
  std::vector<double> a = gamma_arrivals_until(1000.0, 3.0, 1.0, 11);
  ASSERT_FALSE(a.empty());
  EXPECT_LT(a.back(), 1000.0);
  EXPECT_NEAR(static_cast<double>(a.size()) / 3000.0, 1.0, 0.06);  // ~3000 +- 55 (1 sigma)
  EXPECT_EQ(a, gamma_arrivals(a.size(), 3.0, 1.0, 11));          // a prefix of the same stream
}

TEST(ArrivalsTest, GammaSamplerMoments) {
  for (double shape : {0.3, 1.0, 2.5, 9.0}) {
    Rng rng(77);
    const int n = 100000;
    double sum = 0.0, sq = 0.0;
    for (int i = 0; i < n; ++i) {
      const double x = rng.gamma(shape, 2.0);
      ASSERT_GT(x, 0.0);
      sum += x;
      sq += x * x;
    }
    const double mean = sum / n;
    const double var = sq / n - mean * mean;
    EXPECT_NEAR(mean / (2.0 * shape), 1.0, 0.02) << "shape " << shape;
    EXPECT_NEAR(var / (4.0 * shape), 1.0, 0.05) << "shape " << shape;
  }
}

TEST(ArrivalsTest, NormalAndUniformIndex) {
  Rng rng(3);
  double sum = 0.0, sq = 0.0;
  const int n = 100000;
  for (int i = 0; i < n; ++i) {
    const double x = rng.normal();
    sum += x;
    sq += x * x;
  }
  EXPECT_NEAR(sum / n, 0.0, 0.015);
  EXPECT_NEAR(sq / n, 1.0, 0.02);
  std::vector<int> counts(7, 0);
  for (int i = 0; i < 70000; ++i) ++counts[rng.uniform_index(7)];
  for (int c : counts) EXPECT_NEAR(c, 10000, 400);
}

TEST(ArrivalsTest, ReplayScalesTimestamps) {
  const std::vector<double> ts = {10.0, 10.5, 12.0, 12.0, 20.0};
  StatusOr<std::vector<double>> a = replay_arrivals(ts, 0.5);
  ASSERT_TRUE(a.is_ok());
  EXPECT_EQ(*a, (std::vector<double>{0.0, 0.25, 1.0, 1.0, 5.0}));
  EXPECT_FALSE(replay_arrivals(ts, 0.0).is_ok());
  const std::vector<double> backwards = {1.0, 0.5};
  StatusOr<std::vector<double>> bad = replay_arrivals(backwards, 1.0);
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("row 2"), std::string::npos);
}

}  // namespace
}  // namespace asc::workload
