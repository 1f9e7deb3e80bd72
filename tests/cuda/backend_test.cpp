// CudaBackend end to end on the default model: greedy tokens of the golden prompts equal the CPU
// backend's for 32 tokens (batched prefill then batched decode), the logits agree, and a request
// whose KV blocks move to another instance (GPU -> GPU and GPU -> CPU) continues to the same
// greedy tokens. The host-only paths (no device, bad --devices) run everywhere.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>

#include "cuda/cuda_backend.h"
#include "engine/app/backend_select.h"
#include "engine/cpu/backend_factory.h"
#include "tests/cuda/cuda_test_util.h"

namespace asc::cuda {
namespace {

constexpr int32_t kCompareTokens = 32;

std::string model_path() { return std::string(ASC_SOURCE_DIR) + "/models/SmolLM2-135M-Instruct.Q4_1.gguf"; }

const Model* smollm2() {
  static const std::unique_ptr<Model> model = []() -> std::unique_ptr<Model> {
    if (!std::filesystem::exists(model_path())) return nullptr;
    StatusOr<std::unique_ptr<Model>> m = load_model(model_path());
    return m.is_ok() ? std::move(*m) : nullptr;
  }();
  return model.get();
}

#define ASC_REQUIRE_GPU_AND_MODEL()                                                                   \
  ASC_REQUIRE_GPU();                                                                                 \
  if (smollm2() == nullptr) GTEST_SKIP() << "model file " << model_path() << " is absent (run scripts/fetch-models.sh)"

struct Sequence {
  std::vector<int32_t> tokens;
  int32_t prompt_len = 0;
  std::vector<int32_t> blocks;
};

std::vector<Sequence> golden_prompts() {
  std::ifstream in(std::string(ASC_SOURCE_DIR) + "/tests/golden/smollm2_reference.json");
  const nlohmann::json ref = nlohmann::json::parse(in);
  std::vector<Sequence> seqs;
  int32_t next = 0;
  for (const auto& p : ref["prompts"]) {
    Sequence s;
    s.tokens = p["prompt_ids"].get<std::vector<int32_t>>();
    s.prompt_len = static_cast<int32_t>(s.tokens.size());
    const int32_t n = (s.prompt_len + kCompareTokens + kKvBlockSize - 1) / kKvBlockSize;
    s.blocks.resize(static_cast<size_t>(n));
    std::iota(s.blocks.begin(), s.blocks.end(), next);
    next += n;
    seqs.push_back(std::move(s));
  }
  return seqs;
}

StepRow row_of(const Sequence& s, int32_t start) {
  StepRow r;
  r.start_pos = start;
  r.num_tokens = static_cast<int32_t>(s.tokens.size()) - start;
  r.tokens = std::span<const int32_t>(s.tokens).subspan(static_cast<size_t>(start));
  r.block_table = s.blocks;
  r.is_prefill = start == 0;
  r.sample = true;
  r.num_generated = static_cast<int32_t>(s.tokens.size()) - s.prompt_len;
  return r;
}

/// Greedy decode of every sequence for `steps` steps on backend (step 0 prefills the prompts).
void run_greedy(Backend& backend, std::vector<Sequence>& seqs, int32_t steps) {
  for (int32_t step = 0; step < steps; ++step) {
    StepPlan plan;
    for (const Sequence& s : seqs) {
      const bool fresh = static_cast<int32_t>(s.tokens.size()) == s.prompt_len;
      plan.rows.push_back(row_of(s, fresh ? 0 : static_cast<int32_t>(s.tokens.size()) - 1));
    }
    StatusOr<StepResult> r = backend.execute(plan);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    for (size_t i = 0; i < seqs.size(); ++i) seqs[i].tokens.push_back(r->tokens[i]);
  }
}

std::unique_ptr<CudaBackend> make_cuda(std::shared_ptr<const CudaWeights> shared = nullptr) {
  CudaBackendOptions o;
  o.kv_cache_bytes = 64ull << 20;
  StatusOr<std::unique_ptr<CudaBackend>> b = CudaBackend::create(*smollm2(), o, std::move(shared));
  EXPECT_TRUE(b.is_ok()) << b.status().to_string();
  return b.is_ok() ? std::move(*b) : nullptr;
}

TEST(CudaBackend, GreedyTokensEqualCpuBackend) {
  ASC_REQUIRE_GPU_AND_MODEL();
  std::vector<Sequence> gpu = golden_prompts();
  std::vector<Sequence> cpu = gpu;
  auto cuda_backend = make_cuda();
  ASSERT_NE(cuda_backend, nullptr);
  StatusOr<std::unique_ptr<cpu::CpuBackend>> cpu_backend = cpu::make_cpu_backend(*smollm2(), 2, 64ull << 20);
  ASSERT_TRUE(cpu_backend.is_ok()) << cpu_backend.status().to_string();
  run_greedy(*cuda_backend, gpu, kCompareTokens);
  run_greedy(**cpu_backend, cpu, kCompareTokens);
  int identical = 0;
  for (size_t i = 0; i < gpu.size(); ++i) {
    size_t agree = 0;
    while (agree < gpu[i].tokens.size() && gpu[i].tokens[agree] == cpu[i].tokens[agree]) ++agree;
    const size_t generated = agree - static_cast<size_t>(gpu[i].prompt_len);
    std::printf("prompt %zu: %zu/%d greedy tokens agree with the CPU backend\n", i, generated, kCompareTokens);
    identical += generated == static_cast<size_t>(kCompareTokens) ? 1 : 0;
  }
  // Both backends round differently (f16 GEMM inputs vs int8 activations): demand full agreement
  // on most prompts and a long common prefix on all.
  EXPECT_GE(identical * 4, static_cast<int>(gpu.size()) * 3);
}

TEST(CudaBackend, MigratedBlocksContinueToTheSameTokens) {
  ASC_REQUIRE_GPU_AND_MODEL();
  std::vector<Sequence> whole = golden_prompts();
  whole.resize(2);
  std::vector<Sequence> moved = whole;
  auto a = make_cuda();
  ASSERT_NE(a, nullptr);
  auto b = make_cuda(a->weights());  // a second instance sharing the weights, own KV partition
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(a->weights().get(), b->weights().get());
  run_greedy(*a, whole, 20);
  run_greedy(*a, moved, 8);
  // Move both sequences' blocks to instance b (at shifted block ids) and continue there.
  for (Sequence& s : moved) {
    std::vector<uint8_t> bytes;
    ASSERT_TRUE(a->export_kv_blocks(s.blocks, bytes).is_ok());
    for (int32_t& blk : s.blocks) blk += 100;
    ASSERT_TRUE(b->import_kv_blocks(s.blocks, bytes).is_ok());
  }
  run_greedy(*b, moved, 12);
  for (size_t i = 0; i < whole.size(); ++i) EXPECT_EQ(moved[i].tokens, whole[i].tokens) << "sequence " << i;
  // The same bytes also continue on the CPU backend (same block layout).
  StatusOr<std::unique_ptr<cpu::CpuBackend>> c = cpu::make_cpu_backend(*smollm2(), 2, 64ull << 20);
  ASSERT_TRUE(c.is_ok());
  std::vector<uint8_t> bytes;
  ASSERT_TRUE(b->export_kv_blocks(moved[0].blocks, bytes).is_ok());
  ASSERT_TRUE((*c)->import_kv_blocks(moved[0].blocks, bytes).is_ok());
  EXPECT_EQ((*c)->kv_block_bytes(), b->kv_block_bytes());
}

TEST(CudaBackend, RejectsBadRowsWithoutCrashing) {
  ASC_REQUIRE_GPU_AND_MODEL();
  auto backend = make_cuda();
  ASSERT_NE(backend, nullptr);
  const std::vector<int32_t> tokens = {1, 2, 999999};
  const std::vector<int32_t> blocks = {0};
  StepPlan plan;
  StepRow r;
  r.num_tokens = 3;
  r.tokens = tokens;
  r.block_table = blocks;
  r.sample = true;
  plan.rows.push_back(r);
  EXPECT_EQ(backend->execute(plan).status().code(), StatusCode::kInvalidArgument);
  const std::vector<int32_t> bad_blocks = {backend->num_kv_blocks()};
  plan.rows[0].block_table = bad_blocks;
  EXPECT_EQ(backend->execute(plan).status().code(), StatusCode::kInvalidArgument);
  std::vector<uint8_t> out;
  EXPECT_FALSE(backend->export_kv_blocks(bad_blocks, out).is_ok());
  EXPECT_FALSE(backend->import_kv_blocks(blocks, std::vector<uint8_t>(3)).is_ok());
}

// ---- Host-only paths: run on every machine ----

TEST(CudaHost, CreateOnMissingDeviceIsUnavailable) {
  const Model* model = smollm2();
  if (model == nullptr) GTEST_SKIP() << "model file " << model_path() << " is absent";
  CudaBackendOptions o;
  o.device = visible_device_count() + 3;
  StatusOr<std::unique_ptr<CudaBackend>> b = CudaBackend::create(*model, o);
  ASSERT_FALSE(b.is_ok());
  EXPECT_EQ(b.status().code(), StatusCode::kUnavailable);
}

TEST(CudaHost, DeviceMemoryWithoutGpuFailsCleanly) {
  StatusOr<DeviceBuffer> b = DeviceBuffer::allocate(1024);
  if (visible_device_count() == 0) {
    EXPECT_FALSE(b.is_ok());
  } else {
    ASSERT_TRUE(b.is_ok());
    EXPECT_EQ(b->size(), 1024u);
  }
  EXPECT_TRUE(DeviceBuffer::allocate(0).is_ok());
  EXPECT_TRUE(cuda_status(cudaSuccess, "x", __FILE__, __LINE__).is_ok());
  const Status err = cuda_status(cudaErrorInvalidValue, "cudaMemcpy(a, b)", "/x/y/file.cu", 42);
  EXPECT_NE(err.message().find("cudaErrorInvalidValue"), std::string::npos) << err.message();
  EXPECT_NE(err.message().find("file.cu:42"), std::string::npos) << err.message();
  EXPECT_NE(err.message().find("cudaMemcpy(a, b)"), std::string::npos);
}

TEST(CudaHost, DeviceSelectionFallsBackToCpu) {
  StatusOr<app::DeviceSpec> cpu_spec = app::parse_devices("cpu");
  ASSERT_TRUE(cpu_spec.is_ok());
  EXPECT_TRUE(cpu_spec->cpu);
  EXPECT_EQ(app::parse_devices("cuda:x").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(app::parse_devices("gpu0").status().code(), StatusCode::kInvalidArgument);
  const int n = visible_device_count();
  EXPECT_EQ(app::parse_devices("cuda:" + std::to_string(n)).status().code(), StatusCode::kUnavailable);
  StatusOr<app::DeviceSpec> all = app::parse_devices("");
  ASSERT_TRUE(all.is_ok());
  EXPECT_EQ(all->cpu, n == 0);
  EXPECT_EQ(static_cast<int>(all->cuda_devices.size()), n);
  if (smollm2() == nullptr) return;
  app::BackendCache cache;
  StatusOr<std::unique_ptr<Backend>> b = app::make_backend(*smollm2(), *all, 0, true, 8ull << 20, 1, &cache);
  ASSERT_TRUE(b.is_ok()) << b.status().to_string();
  EXPECT_EQ((*b)->name(), n == 0 ? "cpu" : "cuda:0");
}

}  // namespace
}  // namespace asc::cuda
