// CpuBackend: KV migration (export, import into a second backend at other block ids, continue
// decoding: same tokens), seeded sampling independent of batching, bad plans rejected with a
// Status, GGUF vs the safetensors folder of scripts/make-safetensors.py.
#include "engine/cpu/cpu_backend.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <numeric>

#include "engine/cpu/backend_factory.h"
#include "tests/cpu/forward_test_util.h"

namespace asc::cpu {
namespace {

using testing::make_row;

const std::vector<int32_t> kPrompt = {504, 2365, 6354, 16438, 27003, 690, 260, 23790, 2767, 30,
                                      378, 722, 282, 260, 2229, 476, 38046, 18, 7845, 253};

TEST(CpuBackend, ExportImportContinuesDecodingIdentically) {
  ASC_REQUIRE_SMOLLM2();
  const Model& model = *testing::smollm2();
  auto a = testing::make_backend(model, 8, 2);
  auto b = testing::make_backend(model, 8, 1);
  const std::vector<int32_t> blocks_a = {3, 6};   // 32 positions
  const std::vector<int32_t> blocks_b = {7, 0};
  std::vector<int32_t> seq = kPrompt;
  testing::greedy_extend(*a, seq, 0, 5, blocks_a);  // 25 tokens in KV, the 26th is pending
  std::vector<uint8_t> bytes;
  ASSERT_TRUE(a->export_kv_blocks(blocks_a, bytes).is_ok());
  EXPECT_EQ(bytes.size(), 2 * a->kv_block_bytes());
  ASSERT_TRUE(b->import_kv_blocks(blocks_b, bytes).is_ok());
  std::vector<int32_t> seq_b = seq;
  const auto done = static_cast<int32_t>(seq.size()) - 1;
  testing::greedy_extend(*a, seq, done, 6, blocks_a);
  testing::greedy_extend(*b, seq_b, done, 6, blocks_b);
  EXPECT_EQ(seq, seq_b);
  EXPECT_EQ(a->export_kv_blocks(std::vector<int32_t>{8}, bytes).code(), StatusCode::kOutOfRange);
}

TEST(CpuBackend, SeededSamplingIsIndependentOfBatching) {
  ASC_REQUIRE_SMOLLM2();
  const Model& model = *testing::smollm2();
  auto backend = testing::make_backend(model, 8);
  SamplingParams p;
  p.temperature = 1.0f;
  p.top_p = 0.95f;
  p.seed = 77;
  const std::vector<int32_t> blocks = {0, 1};
  const std::vector<int32_t> other_blocks = {2, 3};
  StepPlan solo;
  solo.rows.push_back(make_row(kPrompt, 0, 20, blocks, true, 3));
  solo.rows[0].sampling = p;
  StatusOr<StepResult> r1 = backend->execute(solo);
  ASSERT_TRUE(r1.is_ok());
  StepPlan batch;
  const std::vector<int32_t> other(kPrompt.rbegin(), kPrompt.rend());
  batch.rows.push_back(make_row(other, 0, 20, other_blocks, true, 0));
  batch.rows.push_back(solo.rows[0]);
  StatusOr<StepResult> r2 = backend->execute(batch);
  ASSERT_TRUE(r2.is_ok());
  EXPECT_EQ(r2->tokens[1], r1->tokens[0]);
  EXPECT_GE(r2->tokens[0], 0);
  EXPECT_GT(r2->duration_s, 0.0);
}

TEST(CpuBackend, RejectsBadPlansWithAStatus) {
  ASC_REQUIRE_SMOLLM2();
  auto backend = testing::make_backend(*testing::smollm2(), 4);
  const std::vector<int32_t> blocks = {0, 1};
  const std::vector<int32_t> bad_ids = {1, 2, 99999999};
  StepPlan plan;
  plan.rows.push_back(make_row(bad_ids, 0, 3, blocks, true));
  EXPECT_EQ(backend->execute(plan).status().code(), StatusCode::kInvalidArgument);
  const std::vector<int32_t> out_of_range_blocks = {0, 4};
  plan.rows[0] = make_row(kPrompt, 0, 20, out_of_range_blocks, true);
  EXPECT_EQ(backend->execute(plan).status().code(), StatusCode::kOutOfRange);
  const std::vector<int32_t> short_table = {0};
  plan.rows[0] = make_row(kPrompt, 0, 20, short_table, true);
  EXPECT_EQ(backend->execute(plan).status().code(), StatusCode::kOutOfRange);
  plan.rows[0] = make_row(kPrompt, 0, 20, blocks, true);
  plan.block_copies.push_back({0, 7});
  EXPECT_EQ(backend->execute(plan).status().code(), StatusCode::kOutOfRange);
  plan.block_copies.clear();
  StatusOr<StepResult> ok = backend->execute(plan);  // still usable after the errors
  ASSERT_TRUE(ok.is_ok());
  EXPECT_EQ(ok->tokens.size(), 1u);
  EXPECT_EQ(StepPlan{}.rows.size(), backend->execute(StepPlan{})->tokens.size());
}

TEST(CpuBackend, FactoryUsesTheDetectedIsaAndBudget) {
  ASC_REQUIRE_SMOLLM2();
  StatusOr<std::unique_ptr<CpuBackend>> b = make_cpu_backend(*testing::smollm2(), 1, 10 << 20);
  ASSERT_TRUE(b.is_ok()) << b.status().to_string();
  EXPECT_EQ((*b)->isa(), best_isa(detect_cpu_features()));
  EXPECT_EQ((*b)->num_kv_blocks(), static_cast<int32_t>((10 << 20) / (*b)->kv_block_bytes()));
  EXPECT_EQ((*b)->name(), "cpu");
}

TEST(CpuBackend, SafetensorsFolderGivesTheGgufLogits) {
  ASC_REQUIRE_SMOLLM2();
  const std::string dir = std::string(ASC_SOURCE_DIR) + "/models/SmolLM2-135M-Instruct-hf";
  if (!std::filesystem::exists(dir + "/config.json")) {
    GTEST_SKIP() << dir << " is absent (made by scripts/make-safetensors.py)";
  }
  StatusOr<std::unique_ptr<Model>> hf = load_model(dir);
  ASSERT_TRUE(hf.is_ok()) << hf.status().to_string();
  auto gguf_backend = testing::make_backend(*testing::smollm2(), 2);
  auto hf_backend = testing::make_backend(**hf, 2);
  const std::vector<int32_t> blocks = {1, 0};
  const std::vector<float> a = testing::prefill_logits(*gguf_backend, kPrompt, 20, blocks);
  const std::vector<float> b = testing::prefill_logits(*hf_backend, kPrompt, 20, blocks);
  ASSERT_EQ(a.size(), b.size());
  // The HF folder holds the GGUF weights dequantized to f32; the GGUF path quantizes activations
  // to 8 bits, so logits agree to activation-quantization noise, not bit for bit.
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    dot += double(a[i]) * b[i];
    na += double(a[i]) * a[i];
    nb += double(b[i]) * b[i];
  }
  const double cosine = dot / std::sqrt(na * nb);
  const float diff = testing::max_abs_diff(a, b);
  std::printf("GGUF vs safetensors: cosine %.6f, max |logit diff| %.3f\n", cosine, diff);
  EXPECT_GT(cosine, 0.999);
  EXPECT_LT(diff, 1.0f);
  EXPECT_EQ(argmax(a), argmax(b));
}

}  // namespace
}  // namespace asc::cpu
