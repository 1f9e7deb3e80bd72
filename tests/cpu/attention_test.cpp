// Paged attention vs a naive reference over contiguous K/V, on random data with random block
// tables, for every ISA this CPU supports; plus the KV write layout and row validation.
#include "engine/cpu/attention.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include "engine/cpu/fp16.h"

namespace asc::cpu {
namespace {

struct Sequence {
  int32_t start_pos;                 // history written before the step
  int32_t num_tokens;                // tokens of the step
  std::vector<int32_t> blocks;       // random block ids
  std::vector<float> q, k, v;        // [start_pos + num_tokens][heads][head_dim] (q: num_heads)
};

float round_f16(float x) { return fp16_to_fp32(fp32_to_fp16(x)); }

/// Naive causal GQA attention of token p of a sequence in double, K/V rounded to f16 like the
/// storage and Q rounded to f16 like the kernel (llama.cpp's CPU flash attention does the same).
std::vector<float> naive_attention(const Sequence& s, int32_t p, int32_t num_heads, int32_t kv_heads,
                                   int32_t hd) {
  std::vector<float> out(static_cast<size_t>(num_heads) * hd);
  const int32_t group = num_heads / kv_heads;
  for (int32_t h = 0; h < num_heads; ++h) {
    const int32_t kh = h / group;
    std::vector<double> w(static_cast<size_t>(p) + 1);
    double mx = -1e30;
    for (int32_t j = 0; j <= p; ++j) {
      double dot = 0;
      for (int32_t d = 0; d < hd; ++d) {
        dot += double(round_f16(s.q[(size_t(p) * num_heads + h) * hd + d])) *
               round_f16(s.k[(size_t(j) * kv_heads + kh) * hd + d]);
      }
      w[j] = dot / std::sqrt(double(hd));
      mx = std::max(mx, w[j]);
    }
    double z = 0;
    for (double& x : w) z += (x = std::exp(x - mx));
    for (int32_t d = 0; d < hd; ++d) {
      double acc = 0;
      for (int32_t j = 0; j <= p; ++j) acc += w[j] * round_f16(s.v[(size_t(j) * kv_heads + kh) * hd + d]);
      out[size_t(h) * hd + d] = float(acc / z);
    }
  }
  return out;
}

class AttentionTest : public ::testing::TestWithParam<IsaLevel> {};

void run_case(IsaLevel isa, int32_t num_heads, int32_t kv_heads, int32_t hd, int threads) {
  const KvGeometry geo{2, kv_heads, hd};
  KvStorage kv(geo, 40);
  std::mt19937 rng(1234 + hd);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<int32_t> free_blocks(40);
  std::iota(free_blocks.begin(), free_blocks.end(), 0);
  std::shuffle(free_blocks.begin(), free_blocks.end(), rng);
  // A prefill chunk after history, a decode row, a whole prompt, a chunk ending on a block edge.
  std::vector<Sequence> seqs = {{30, 7, {}, {}, {}, {}}, {50, 1, {}, {}, {}, {}},
                                {0, 21, {}, {}, {}, {}}, {16, 16, {}, {}, {}, {}}};
  for (Sequence& s : seqs) {
    const int32_t n = s.start_pos + s.num_tokens;
    for (int32_t b = 0; b < (n + 15) / 16; ++b) {
      s.blocks.push_back(free_blocks.back());
      free_blocks.pop_back();
    }
    for (auto* vec : {&s.q, &s.k, &s.v}) {
      const int32_t heads = vec == &s.q ? num_heads : kv_heads;
      vec->resize(size_t(n) * heads * hd);
      for (float& x : *vec) x = dist(rng) * (vec == &s.q ? 0.8f : 1.0f);
    }
  }
  ThreadPool pool(threads);
  PagedAttention attn(kernel_table(isa), num_heads, geo);
  const int32_t layer = 1;
  // Step 1 writes each sequence's history; step 2 is the step under test.
  for (int step = 0; step < 2; ++step) {
    std::vector<AttentionRow> rows;
    std::vector<float> q, k, v;
    int32_t first = 0;
    for (const Sequence& s : seqs) {
      const int32_t start = step == 0 ? 0 : s.start_pos;
      const int32_t n = step == 0 ? s.start_pos : s.num_tokens;
      if (n == 0) continue;
      rows.push_back({start, n, first, s.blocks});
      first += n;
      q.insert(q.end(), s.q.begin() + size_t(start) * num_heads * hd, s.q.begin() + size_t(start + n) * num_heads * hd);
      k.insert(k.end(), s.k.begin() + size_t(start) * kv_heads * hd, s.k.begin() + size_t(start + n) * kv_heads * hd);
      v.insert(v.end(), s.v.begin() + size_t(start) * kv_heads * hd, s.v.begin() + size_t(start + n) * kv_heads * hd);
    }
    ASSERT_TRUE(check_attention_rows(kv, rows).is_ok());
    attn.prepare(rows);
    attn.write_kv(pool, kv, layer, k.data(), v.data());
    if (step == 0) continue;
    std::vector<float> out(q.size(), -7.0f);
    attn.run(pool, kv, layer, q.data(), out.data());
    for (size_t r = 0; r < rows.size(); ++r) {
      for (int32_t i = 0; i < rows[r].num_tokens; ++i) {
        const std::vector<float> ref = naive_attention(seqs[r], rows[r].start_pos + i, num_heads, kv_heads, hd);
        const float* got = out.data() + size_t(rows[r].first_token + i) * num_heads * hd;
        for (size_t e = 0; e < ref.size(); ++e) {
          // The kernel keeps its V accumulator in f16 (as llama.cpp does): a few f16 ulps.
          ASSERT_NEAR(got[e], ref[e], 4e-3f + 4e-3f * std::fabs(ref[e]))
              << "isa " << isa_name(isa) << " row " << r << " token " << i << " elem " << e;
        }
      }
    }
  }
}

TEST_P(AttentionTest, MatchesNaiveReferenceWithRandomBlockTables) {
  if (!isa_supported(detect_cpu_features(), GetParam())) GTEST_SKIP() << "CPU lacks " << isa_name(GetParam());
  run_case(GetParam(), 9, 3, 64, 2);   // SmolLM2 shape
  run_case(GetParam(), 4, 4, 32, 1);   // multi-head (group 1), another head_dim
  run_case(GetParam(), 8, 1, 128, 3);  // multi-query, wide heads
}

INSTANTIATE_TEST_SUITE_P(AllIsas, AttentionTest,
                         ::testing::Values(IsaLevel::kScalar, IsaLevel::kAvx2, IsaLevel::kAvx512),
                         [](const auto& info) { return std::string(isa_name(info.param)); });

TEST(Attention, KernelDispatchFallsBackForOddHeadDims) {
  EXPECT_EQ(attend_kernel_for(IsaLevel::kAvx512, 64), &attend_avx512);
  EXPECT_EQ(attend_kernel_for(IsaLevel::kAvx512, 40), &attend_avx2);
  EXPECT_EQ(attend_kernel_for(IsaLevel::kAvx2, 36), &attend_scalar);
  EXPECT_EQ(attend_kernel_for(IsaLevel::kScalar, 64), &attend_scalar);
}

TEST(Attention, RowValidationNamesTheProblem) {
  KvStorage kv(KvGeometry{1, 1, 16}, 4);
  const std::vector<int32_t> two = {0, 1};
  const std::vector<int32_t> bad = {0, 9};
  std::vector<AttentionRow> rows = {{0, 32, 0, two}};
  EXPECT_TRUE(check_attention_rows(kv, rows).is_ok());
  rows = {{0, 33, 0, two}};
  EXPECT_EQ(check_attention_rows(kv, rows).code(), StatusCode::kOutOfRange);
  rows = {{10, 10, 0, bad}};
  EXPECT_EQ(check_attention_rows(kv, rows).code(), StatusCode::kOutOfRange);
  rows = {{0, 5, 0, two}, {0, 5, 4, two}};
  EXPECT_EQ(check_attention_rows(kv, rows).code(), StatusCode::kInvalidArgument);
  rows = {{0, 0, 0, two}};
  EXPECT_EQ(check_attention_rows(kv, rows).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace asc::cpu
