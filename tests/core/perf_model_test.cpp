// PerfModel: least squares recovers known coefficients from synthetic data (with and without the
// weight-pass feature of tiled CPU matmuls); RLS refinement tracks a change; JSON round trip and v1
// files; built-in A100 profile matches the published decode anchor.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <utility>
#include <vector>

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
std::array<double, kNumPerfFeatures> truth_coef(const ModelShape& m, BatchKind kind) {
  std::array<double, kNumPerfFeatures> c{2e-3, 4e-3, 9e-3, 5e-2, 1e-3, 3e-2};
  const auto mask = perf_feature_mask(m, kind);
  for (int i = 0; i < kNumPerfFeatures; ++i) if (!mask[static_cast<size_t>(i)]) c[static_cast<size_t>(i)] = 0.0;
  return c;
}

double truth_time(const ModelShape& m, const BatchShape& s) {
  const PerfFeatures x = perf_features(m, s);
  const auto c = truth_coef(m, batch_kind(s));
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
    const auto want = truth_coef(m, k);
    for (int i = 0; i < kNumPerfFeatures; ++i) {
      EXPECT_NEAR(model.fit_of(k).coef[static_cast<size_t>(i)], want[static_cast<size_t>(i)],
                  1e-6 + 1e-4 * std::fabs(want[static_cast<size_t>(i)]))
          << batch_kind_name(k) << " feature " << i;
    }
  }
  EXPECT_LT(model.mape(samples), 1e-6);
}

TEST(PerfModel, WeightPassesFollowTheKernelRowTiling) {
  // AVX-512 Q4 kernels: tiles of 8 rows, then 4, then one pass for the rest.
  const std::vector<std::pair<int32_t, int32_t>> tile8 = {{1, 1}, {3, 1}, {4, 1}, {5, 2}, {7, 2}, {8, 1},
                                                          {9, 2}, {12, 2}, {13, 3}, {16, 2}, {23, 4}};
  for (const auto& [rows, passes] : tile8) EXPECT_EQ(weight_passes(rows, 8), passes) << rows << " rows";
  EXPECT_EQ(weight_passes(7, 4), 2);   // AVX2: 4 + 3
  EXPECT_EQ(weight_passes(9, 4), 3);
  EXPECT_EQ(weight_passes(5, 1), 5);   // one row per pass
  EXPECT_EQ(weight_passes(5, 0), 0);   // no tile: feature off
  EXPECT_EQ(weight_passes(0, 8), 0);
}

TEST(PerfModel, TiledDecodeFitRecoversTheWeightPassCost) {
  ModelShape m = small_shape();
  m.weight_tile_rows = 8;
  ASSERT_TRUE(perf_feature_mask(m, BatchKind::kDecode)[kWeightPassFeature]);
  ASSERT_FALSE(perf_feature_mask(small_shape(), BatchKind::kDecode)[kWeightPassFeature]);
  std::mt19937 rng(17);
  std::vector<PerfSample> samples;
  for (int i = 0; i < 80; ++i) {
    BatchShape s;
    const int n = 1 + static_cast<int>(rng() % 24);
    for (int r = 0; r < n; ++r) s.add_decode(static_cast<int32_t>(rng() % 512));
    samples.push_back({s, truth_time(m, s)});
  }
  PerfModel model(m);
  ASSERT_TRUE(model.fit(samples).is_ok());
  const auto want = truth_coef(m, BatchKind::kDecode);
  EXPECT_NEAR(model.fit_of(BatchKind::kDecode).coef[kWeightPassFeature], want[kWeightPassFeature],
              1e-4 * want[kWeightPassFeature]);
  EXPECT_LT(model.mape(samples), 1e-6);
  // 8 decodes take one pass, 7 take two: the model predicts the step.
  EXPECT_LT(model.predict_decode_s(8, 100.0), model.predict_decode_s(7, 100.0));

  // Batches that all fit one tile cannot tell the pass cost from the fixed cost: the feature is
  // dropped rather than fitted to a copy of the constant.
  std::vector<PerfSample> small;
  for (const PerfSample& s : samples) {
    if (s.shape.num_decodes <= 4) small.push_back(s);
  }
  ASSERT_GE(small.size(), 4u);
  PerfModel one_tile(m);
  ASSERT_TRUE(one_tile.fit(small).is_ok());
  EXPECT_FALSE(one_tile.fit_of(BatchKind::kDecode).mask[kWeightPassFeature]);
  EXPECT_LT(one_tile.mape(small), 1e-6);
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

// A v1 file (five features, before the weight-pass feature) is what the A100 profile's JSON is with
// the sixth entries removed: it still loads and predicts the same. Arrays of the wrong length fail
// with a message naming the fit.
TEST(PerfModel, Version1JsonStillLoads) {
  auto a100 = builtin_profile("a100-llama-3.1-8b");
  ASSERT_TRUE(a100.is_ok());
  nlohmann::json j = a100->to_json();
  EXPECT_EQ(j.at("format"), "ascendra-perf-model-v2");
  j["format"] = "ascendra-perf-model-v1";
  j["model"].erase("weight_tile_rows");
  for (auto& [kind, f] : j["fits"].items()) {
    f["coef"].erase(5);
    f["mask"].erase(5);
    nlohmann::json p = nlohmann::json::array();
    for (size_t i = 0; i < 5; ++i) {
      for (size_t k = 0; k < 5; ++k) p.push_back(f["rls_p"][i * 6 + k]);
    }
    f["rls_p"] = p;
  }
  auto v1 = PerfModel::from_json(j);
  ASSERT_TRUE(v1.is_ok()) << v1.status().to_string();
  std::mt19937 rng(23);
  for (int i = 0; i < 30; ++i) {
    BatchShape s = random_batch(rng, static_cast<BatchKind>(i % 3));
    EXPECT_DOUBLE_EQ(v1->predict_s(s), a100->predict_s(s));
  }
  j["format"] = "ascendra-perf-model-v2";  // v2 needs six features per fit
  auto bad = PerfModel::from_json(j);
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().to_string().find("prefill fit does not have 6 features"), std::string::npos)
      << bad.status().to_string();
}

// Decode iterations measured on an A100-80GB with Llama-3.1-8B by the Ascendra authors
// (PaceServe, paceserve/ai_utils/regression_weights/llama/decode.csv): batch size, total context
// tokens of the batch, measured seconds. The analytic roofline (the simulator's ground truth) and
// the profile fitted to it (what the policies predict with) both stay within 8% of each.
TEST(GpuProfiles, A100DecodeMatchesPublishedMeasurements) {
  auto a100 = builtin_profile("a100-llama-3.1-8b");
  ASSERT_TRUE(a100.is_ok());
  auto truth = builtin_roofline("a100-llama-3.1-8b");
  ASSERT_TRUE(truth.is_ok());
  struct Measured { int rows; int64_t context; double seconds; };
  for (const Measured& m : {Measured{20, 35300, 0.0256}, Measured{107, 304881, 0.0643},
                            Measured{128, 371823, 0.0747}, Measured{143, 368667, 0.0804}}) {
    BatchShape s;
    for (int r = 0; r < m.rows; ++r) {
      s.add_decode(static_cast<int32_t>(m.context / m.rows + (r < m.context % m.rows ? 1 : 0)));
    }
    const double roofline = (*truth)(s), fitted = a100->predict_s(s);
    std::printf("A100 decode of %d seqs, %lld context tokens: measured %.1f ms, roofline %.1f, fit %.1f\n",
                m.rows, static_cast<long long>(m.context), 1e3 * m.seconds, 1e3 * roofline, 1e3 * fitted);
    EXPECT_NEAR(roofline, m.seconds, 0.08 * m.seconds) << m.rows << " rows";
    EXPECT_NEAR(fitted, m.seconds, 0.08 * m.seconds) << m.rows << " rows";
  }
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
