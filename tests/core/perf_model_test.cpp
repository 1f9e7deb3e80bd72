// PerfModel: least squares recovers known coefficients from synthetic data; RLS refinement tracks a
// change; JSON round trip; built-in A100 profile matches the published decode anchor.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>

#include <nlohmann/json.hpp>

#include "engine/core/gpu_profiles.h"
#include "engine/core/perf_features.h"
#include "engine/core/perf_model.h"

namespace asc {
namespace {

ModelShape small_shape() {
  ModelShape m;
  m.name = "smol";
  m.hidden = 576;
  m.ffn = 1536;
  m.num_layers = 30;
  m.num_heads = 9;
  m.num_kv_heads = 3;
  m.head_dim = 64;
  m.vocab = 49152;
  m.weight_bytes_per_param = 0.625;
  m.kv_bytes_per_elem = 2.0;
  return m;
}

BatchShape random_batch(std::mt19937& rng, BatchKind kind) {
  BatchShape s;
  if (kind != BatchKind::kDecode) {
    const int rows = 1 + static_cast<int>(rng() % 3);
    for (int r = 0; r < rows; ++r) s.add_prefill(static_cast<int32_t>(rng() % 1024), 8 + static_cast<int32_t>(rng() % 500), true);
  }
  if (kind != BatchKind::kPrefill) {
    const int n = 1 + static_cast<int>(rng() % 64);
    for (int r = 0; r < n; ++r) s.add_decode(static_cast<int32_t>(rng() % 2048));
  }
  return s;
}

// Known truth: t = c . features on each kind's mask.
std::array<double, kNumPerfFeatures> truth_coef(BatchKind kind) {
  std::array<double, kNumPerfFeatures> c{2e-3, 4e-3, 9e-3, 5e-2, 1e-3};
  const auto mask = perf_feature_mask(kind);
  for (int i = 0; i < kNumPerfFeatures; ++i) if (!mask[static_cast<size_t>(i)]) c[static_cast<size_t>(i)] = 0.0;
  return c;
}

double truth_time(const ModelShape& m, const BatchShape& s) {
  const PerfFeatures x = perf_features(m, s);
  const auto c = truth_coef(batch_kind(s));
  double t = 0.0;
  for (int i = 0; i < kNumPerfFeatures; ++i) t += c[static_cast<size_t>(i)] * x[static_cast<size_t>(i)];
  return t;
}

TEST(PerfModel, FitRecoversKnownCoefficients) {
  const ModelShape m = small_shape();
  std::mt19937 rng(42);
  std::vector<PerfSample> samples;
  for (BatchKind k : {BatchKind::kPrefill, BatchKind::kDecode, BatchKind::kMixed}) {
    for (int i = 0; i < 60; ++i) {
      BatchShape s = random_batch(rng, k);
      samples.push_back({s, truth_time(m, s)});
    }
  }
  PerfModel model(m);
  ASSERT_TRUE(model.fit(samples).is_ok());
  for (BatchKind k : {BatchKind::kPrefill, BatchKind::kDecode, BatchKind::kMixed}) {
    const auto want = truth_coef(k);
    for (int i = 0; i < kNumPerfFeatures; ++i) {
      EXPECT_NEAR(model.fit_of(k).coef[static_cast<size_t>(i)], want[static_cast<size_t>(i)],
                  1e-6 + 1e-4 * std::fabs(want[static_cast<size_t>(i)]))
          << batch_kind_name(k) << " feature " << i;
    }
  }
  EXPECT_LT(model.mape(samples), 1e-6);
}

TEST(PerfModel, NoisyFitReportsHeldOutMape) {
  const ModelShape m = small_shape();
  std::mt19937 rng(3);
  std::normal_distribution<double> noise(0.0, 0.03);
  std::vector<PerfSample> train, held;
  for (int i = 0; i < 300; ++i) {
    BatchShape s = random_batch(rng, static_cast<BatchKind>(i % 3));
    (i % 4 == 0 ? held : train).push_back({s, truth_time(m, s) * (1.0 + noise(rng))});
  }
  PerfModel model(m);
  ASSERT_TRUE(model.fit(train).is_ok());
  const double mape = model.mape(held);
  std::printf("held-out MAPE with 3%% noise: %.2f%%\n", 100.0 * mape);
  EXPECT_LT(mape, 0.05);
}

TEST(PerfModel, RefineTracksASlowdown) {
  const ModelShape m = small_shape();
  std::mt19937 rng(5);
  std::vector<PerfSample> samples;
  for (int i = 0; i < 100; ++i) {
    BatchShape s = random_batch(rng, BatchKind::kDecode);
    samples.push_back({s, truth_time(m, s)});
  }
  PerfModel model(m);
  ASSERT_TRUE(model.fit(samples).is_ok());
  // The machine becomes 30% slower: online refinement should follow.
  std::vector<PerfSample> slow;
  for (int i = 0; i < 400; ++i) {
    BatchShape s = random_batch(rng, BatchKind::kDecode);
    const double t = 1.3 * truth_time(m, s);
    model.refine(s, t);
    slow.push_back({s, t});
  }
  EXPECT_LT(model.mape(std::span(slow).last(100)), 0.02);
  EXPECT_GT(model.online_error(), 0.0);
}

TEST(PerfModel, JsonRoundTripPredictsTheSame) {
  auto a100 = builtin_profile("a100-llama-3.1-8b");
  ASSERT_TRUE(a100.is_ok());
  auto back = PerfModel::from_json(nlohmann::json::parse(a100->to_json().dump()));
  ASSERT_TRUE(back.is_ok());
  std::mt19937 rng(9);
  for (int i = 0; i < 50; ++i) {
    BatchShape s = random_batch(rng, static_cast<BatchKind>(i % 3));
    EXPECT_DOUBLE_EQ(a100->predict_s(s), back->predict_s(s));
  }
  EXPECT_EQ(back->num_kv_blocks, a100->num_kv_blocks);
  EXPECT_FALSE(PerfModel::from_json(nlohmann::json{{"format", "x"}}).is_ok());
  EXPECT_EQ(load_perf_model("/nonexistent/profile.json").status().code(), StatusCode::kNotFound);
}

TEST(GpuProfiles, A100DecodeMatchesThePublishedAnchor) {
  auto a100 = builtin_profile("a100-llama-3.1-8b");
  ASSERT_TRUE(a100.is_ok());
  std::mt19937 rng(11);
  double lo = 1e9, hi = 0.0;
  for (int i = 0; i < 200; ++i) {
    BatchShape s;
    const int n = 20 + static_cast<int>(rng() % 8);
    for (int r = 0; r < n; ++r) s.add_decode(100 + static_cast<int32_t>(rng() % 6600));
    const double t = a100->predict_s(s);
    lo = std::min(lo, t);
    hi = std::max(hi, t);
  }
  std::printf("A100 Llama-3.1-8B decode of 20-27 seqs at 0.1-6.7K ctx: %.1f - %.1f ms (anchor 26-31)\n",
              1e3 * lo, 1e3 * hi);
  EXPECT_GT(lo, 0.025);
  EXPECT_LT(hi, 0.032);
  for (BatchKind k : {BatchKind::kPrefill, BatchKind::kDecode, BatchKind::kMixed}) {
    std::printf("  %s fit to roofline: MAPE %.1f%%\n", batch_kind_name(k), 100.0 * a100->fit_of(k).train_mape);
  }
  auto h100 = builtin_profile("h100-llama-3.1-8b");
  ASSERT_TRUE(h100.is_ok());
  BatchShape d;
  for (int r = 0; r < 24; ++r) d.add_decode(3000);
  EXPECT_LT(h100->predict_s(d), a100->predict_s(d));
  EXPECT_GT(a100->num_kv_blocks, 20000);
}

}  // namespace
}  // namespace asc
