// The forward pass on the real model: chunked prefill equals whole prefill; a mixed batch gives
// each sequence the logits it gets alone; RoPE table vs elementwise.h's rope().
#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <random>

#include "engine/cpu/llama_forward_rope.h"
#include "tests/cpu/forward_test_util.h"

namespace asc::cpu {
namespace {

using testing::block_range;
using testing::make_row;
using testing::max_abs_diff;
using testing::prefill_logits;

std::vector<int32_t> random_tokens(int32_t n, uint32_t seed, int32_t vocab) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int32_t> dist(0, vocab - 1);
  std::vector<int32_t> t(static_cast<size_t>(n));
  for (int32_t& x : t) x = dist(rng);
  return t;
}

// Logit tolerance: activations are quantized per row, so chunking changes nothing but the order
// of float additions in a few kernels; logits are O(10).
constexpr float kLogitTolerance = 2e-2f;

TEST(Forward, ChunkedPrefillMatchesWholePrefill) {
  ASC_REQUIRE_SMOLLM2();
  const Model& model = *testing::smollm2();
  auto backend = testing::make_backend(model, 16);
  const std::vector<int32_t> prompt = random_tokens(50, 1, model.spec().vocab_size);
  const std::vector<int32_t> blocks = block_range(3, 50);
  const std::vector<float> whole = prefill_logits(*backend, prompt, 50, blocks);
  ASSERT_EQ(whole.size(), static_cast<size_t>(model.spec().vocab_size));
  for (int32_t chunk : {1, 7, 16, 33}) {
    const std::vector<float> chunked = prefill_logits(*backend, prompt, chunk, blocks);
    const float diff = max_abs_diff(whole, chunked);
    std::printf("chunk %2d: max |logit diff| vs whole prefill = %.3g\n", chunk, diff);
    EXPECT_LT(diff, kLogitTolerance) << "chunk " << chunk;
    EXPECT_EQ(argmax(whole), argmax(chunked)) << "chunk " << chunk;
  }
}

TEST(Forward, MixedBatchGivesEachSequenceItsSoloLogits) {
  ASC_REQUIRE_SMOLLM2();
  const Model& model = *testing::smollm2();
  const int32_t vocab = model.spec().vocab_size;
  std::vector<int32_t> a = random_tokens(21, 2, vocab);  // 20 prefilled, then 1 decode token
  std::vector<int32_t> b = random_tokens(30, 3, vocab);  // chunks [0, 16) then [16, 30)
  std::vector<int32_t> c = random_tokens(9, 4, vocab);   // one whole prefill
  const std::vector<int32_t> ba = {5, 1};
  const std::vector<int32_t> bb = {0, 7};
  const std::vector<int32_t> bc = {4};
  // Solo references, each in its own backend.
  std::vector<std::vector<float>> solo;
  for (auto [seq, blocks] : {std::pair{&a, &ba}, std::pair{&b, &bb}, std::pair{&c, &bc}}) {
    auto backend = testing::make_backend(model, 8);
    solo.push_back(prefill_logits(*backend, *seq, 20, *blocks));
  }
  auto backend = testing::make_backend(model, 8);
  StepPlan step1;
  step1.rows.push_back(make_row(a, 0, 20, ba, false));
  step1.rows.push_back(make_row(b, 0, 16, bb, false));
  ASSERT_TRUE(backend->execute(step1).is_ok());
  StepPlan step2;
  step2.rows.push_back(make_row(b, 16, 14, bb, true));  // prefill chunk
  step2.rows.push_back(make_row(a, 20, 1, ba, true));   // decode row
  step2.rows.push_back(make_row(c, 0, 9, bc, true));    // whole prompt
  StatusOr<StepResult> r = backend->execute(step2);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  const std::span<const float> logits = backend->last_logits();
  ASSERT_EQ(logits.size(), 3u * vocab);
  const int expect_row[3] = {1, 0, 2};  // plan row of a, b, c
  for (int s = 0; s < 3; ++s) {
    const std::span<const float> got = logits.subspan(static_cast<size_t>(expect_row[s]) * vocab, vocab);
    const float diff = max_abs_diff(solo[s], got);
    std::printf("sequence %c: max |logit diff| batched vs solo = %.3g\n", 'a' + s, diff);
    EXPECT_LT(diff, kLogitTolerance) << "sequence " << s;
    EXPECT_EQ(r->tokens[static_cast<size_t>(expect_row[s])], argmax(solo[s]));
  }
}

TEST(Forward, RopeTableMatchesReferenceRope) {
  std::mt19937 rng(5);
  std::normal_distribution<float> dist;
  const int32_t heads = 3, hd = 64;
  const std::vector<int32_t> positions = {0, 1, 17, 500, 8191};
  for (RopeLayout layout : {RopeLayout::kNormal, RopeLayout::kNeox}) {
    ModelSpec spec;
    spec.head_dim = hd;
    spec.rope_theta = 100000.0f;
    StatusOr<std::vector<double>> freq = rope_frequencies(spec, {});
    ASSERT_TRUE(freq.is_ok());
    RopeTable table(hd, layout, *freq);
    ThreadPool pool(2);
    std::vector<float> x(positions.size() * heads * hd);
    for (float& v : x) v = dist(rng);
    std::vector<float> ref = x;
    table.prepare(pool, positions);
    table.apply(pool, x.data(), heads);
    for (size_t t = 0; t < positions.size(); ++t) {
      rope(ref.data() + t * heads * hd, heads, hd, positions[t], spec.rope_theta, 1.0f, layout);
    }
    for (size_t i = 0; i < x.size(); ++i) ASSERT_NEAR(x[i], ref[i], 1e-5f) << i;
  }
}

TEST(Forward, RopeTableFloatAnglesFollowLlamaCppRecurrence) {
  std::mt19937 rng(6);
  std::normal_distribution<float> dist;
  const int32_t heads = 2, hd = 64;
  const std::vector<int32_t> positions = {0, 1, 17, 500};
  ModelSpec spec;
  spec.head_dim = hd;
  spec.rope_theta = 100000.0f;
  std::optional<FloatRopeAngles> angles = float_rope_angles(spec, {});
  ASSERT_TRUE(angles.has_value());
  EXPECT_EQ(angles->theta_scale, std::pow(100000.0f, -2.0f / 64.0f));
  StatusOr<std::vector<double>> freq = rope_frequencies(spec, {});
  ASSERT_TRUE(freq.is_ok());
  RopeTable table(hd, RopeLayout::kNormal, *freq);
  table.use_float_angles(*angles);
  ThreadPool pool(1);
  std::vector<float> x(positions.size() * heads * hd);
  for (float& v : x) v = dist(rng);
  std::vector<float> ref = x;
  table.prepare(pool, positions);
  table.apply(pool, x.data(), heads);
  for (size_t t = 0; t < positions.size(); ++t) {
    rope(ref.data() + t * heads * hd, heads, hd, positions[t], spec.rope_theta, 1.0f, RopeLayout::kNormal);
  }
  // Float angles differ from the double ones by float rounding only (grows with the position).
  for (size_t i = 0; i < x.size(); ++i) ASSERT_NEAR(x[i], ref[i], 2e-4f) << i;
  spec.rope_scaling.type = RopeScalingType::kYarn;
  EXPECT_FALSE(float_rope_angles(spec, {}).has_value());
}

TEST(Forward, RopeFrequenciesApplyFactorsAndScaling) {
  ModelSpec spec;
  spec.head_dim = 8;
  spec.rope_theta = 10000.0f;
  const std::vector<float> factors = {1.0f, 2.0f, 4.0f, 8.0f};
  StatusOr<std::vector<double>> f = rope_frequencies(spec, factors);
  ASSERT_TRUE(f.is_ok());
  for (int i = 0; i < 4; ++i) EXPECT_NEAR((*f)[i], std::pow(10000.0, -2.0 * i / 8) / factors[i], 1e-12);
  spec.rope_scaling.type = RopeScalingType::kLinear;
  spec.rope_scaling.factor = 4.0f;
  f = rope_frequencies(spec, {});
  ASSERT_TRUE(f.is_ok());
  EXPECT_NEAR((*f)[1], std::pow(10000.0, -0.25) / 4.0, 1e-12);
  spec.rope_scaling.type = RopeScalingType::kYarn;
  EXPECT_EQ(rope_frequencies(spec, {}).status().code(), StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace asc::cpu
