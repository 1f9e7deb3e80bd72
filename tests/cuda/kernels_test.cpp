// Each CUDA kernel against the CPU implementation (the oracle) on random data: quantized GEMV and
// embedding for every weight type, RMSNorm with residual, RoPE (both layouts), SwiGLU, KV append
// plus paged attention (prefill chunk and split decode) against cpu::PagedAttention, sampling
// against cpu::Sampler, and block copy / gather / scatter. All skip without a GPU.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "cuda/kernels.h"
#include "engine/cpu/attention.h"
#include "engine/cpu/elementwise.h"
#include "engine/cpu/quant.h"
#include "engine/cpu/sampler.h"
#include "tests/cuda/cuda_test_util.h"

namespace asc::cuda {
namespace {

using testing::download;
using testing::random_floats;
using testing::relative_error;
using testing::test_context;
using testing::upload;

/// Random quantized rows: Q4_0/Q4_1/Q8_0 through the CPU quantizer, K-quants as random bytes with
/// small f16 scales (every bit pattern of the quants is a valid block).
std::vector<uint8_t> random_matrix(DType type, int64_t k, int64_t n, uint32_t seed) {
  const size_t row_bytes = dtype_row_bytes(type, k);
  std::vector<uint8_t> bytes(row_bytes * static_cast<size_t>(n));
  std::vector<float> x = random_floats(static_cast<size_t>(k * n), seed);
  if (type == DType::kQ4_0 || type == DType::kQ4_1 || type == DType::kQ8_0) {
    for (int64_t r = 0; r < n; ++r) cpu::quantize_row_ref(type, x.data() + r * k, k, bytes.data() + r * row_bytes);
    return bytes;
  }
  if (type == DType::kF32) {
    std::memcpy(bytes.data(), x.data(), bytes.size());
    return bytes;
  }
  std::mt19937 rng(seed);
  for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng());
  const auto* traits = dtype_traits(static_cast<uint32_t>(type));
  const uint16_t small_half = 0x1c00;  // f16 0.0039
  for (size_t off = 0; off < bytes.size(); off += static_cast<size_t>(traits->block_bytes)) {
    if (type == DType::kQ6_K) {
      std::memcpy(&bytes[off + 208], &small_half, 2);
    } else {
      std::memcpy(&bytes[off], &small_half, 2);
      std::memcpy(&bytes[off + 2], &small_half, 2);
    }
  }
  return bytes;
}

class GemvTest : public ::testing::TestWithParam<DType> {};

TEST_P(GemvTest, MatchesCpuDequantizedProduct) {
  ASC_REQUIRE_GPU();
  const DType type = GetParam();
  const int64_t k = 512;
  const int64_t n = 77;
  const std::vector<uint8_t> w = random_matrix(type, k, n, 7);
  std::vector<float> wf(static_cast<size_t>(k * n));
  const size_t row_bytes = dtype_row_bytes(type, k);
  for (int64_t r = 0; r < n; ++r) cpu::dequantize_row(type, w.data() + r * row_bytes, wf.data() + r * k, k);
  DeviceBuffer dw = upload(w);
  const DeviceMatrix mat{type, k, n, row_bytes, dw.as<uint8_t>()};
  for (int32_t m : {1, 3, kGemvMaxTokens}) {
    const std::vector<float> x = random_floats(static_cast<size_t>(m * k), 11 + m);
    std::vector<float> ref(static_cast<size_t>(m * n));
    for (int32_t t = 0; t < m; ++t)
      for (int64_t r = 0; r < n; ++r) {
        double s = 0.0;
        for (int64_t j = 0; j < k; ++j) s += static_cast<double>(wf[r * k + j]) * x[t * k + j];
        ref[t * n + r] = static_cast<float>(s);
      }
    DeviceBuffer dx = upload(x);
    DeviceBuffer dy = upload(std::vector<float>(ref.size(), 0.0f));
    ASSERT_TRUE(launch_quant_gemv(test_context(), mat, dx.as<float>(), m, dy.as<float>()).is_ok());
    EXPECT_LT(relative_error(download<float>(dy, ref.size()), ref), 1e-4) << dtype_name(type) << " m " << m;
  }
  // Embedding rows and the f16 copy decode the same values.
  DeviceBuffer ids = upload(std::vector<int32_t>{5, 0, 76});
  DeviceBuffer emb = upload(std::vector<float>(3 * k, 0.0f));
  ASSERT_TRUE(launch_embedding(test_context(), mat, ids.as<int32_t>(), 3, emb.as<float>()).is_ok());
  const std::vector<float> got = download<float>(emb, 3 * k);
  for (int64_t j = 0; j < k; ++j) ASSERT_EQ(got[k + j], wf[j]) << j;
  for (int64_t j = 0; j < k; ++j) ASSERT_EQ(got[2 * k + j], wf[76 * k + j]) << j;
}

INSTANTIATE_TEST_SUITE_P(Types, GemvTest,
                         ::testing::Values(DType::kF32, DType::kQ4_0, DType::kQ4_1, DType::kQ8_0, DType::kQ4_K,
                                           DType::kQ5_K, DType::kQ6_K));

TEST(Elementwise, AddRmsnormSiluRopeMatchCpu) {
  ASC_REQUIRE_GPU();
  const int32_t n = 576;
  const int64_t m = 5;
  std::vector<float> x = random_floats(m * n, 1), delta = random_floats(m * n, 2), w = random_floats(n, 3);
  DeviceBuffer dx = upload(x), dd = upload(delta), dw = upload(w), dout = upload(x);
  ASSERT_TRUE(launch_add_rmsnorm(test_context(), dx.as<float>(), dd.as<float>(), dw.as<float>(), m, n, 1e-5f,
                                 dout.as<float>()).is_ok());
  std::vector<float> ref(m * n);
  for (int64_t t = 0; t < m; ++t) {
    for (int32_t i = 0; i < n; ++i) x[t * n + i] += delta[t * n + i];
    cpu::rmsnorm(x.data() + t * n, w.data(), n, 1e-5f, ref.data() + t * n);
  }
  EXPECT_LT(relative_error(download<float>(dout, ref.size()), ref), 1e-5);
  EXPECT_LT(relative_error(download<float>(dx, x.size()), x), 1e-6);

  std::vector<float> gate = random_floats(1000, 4, -6, 6), up = random_floats(1000, 5);
  DeviceBuffer dg = upload(gate), du = upload(up);
  ASSERT_TRUE(launch_silu_mul(test_context(), dg.as<float>(), du.as<float>(), 1000, dg.as<float>()).is_ok());
  std::vector<float> sref(1000);
  cpu::silu_mul(gate.data(), up.data(), 1000, sref.data());
  EXPECT_LT(relative_error(download<float>(dg, 1000), sref), 1e-5);

  for (bool neox : {false, true}) {
    const int32_t heads = 3, hd = 64, half = 32;
    const std::vector<int32_t> pos = {0, 7, 4095};
    std::vector<double> inv(half);
    for (int i = 0; i < half; ++i) inv[i] = std::pow(10000.0, -2.0 * i / hd);
    std::vector<float> q = random_floats(pos.size() * heads * hd, 9);
    DeviceBuffer dq = upload(q), dp = upload(pos), di = upload(inv);
    DeviceBuffer dc = upload(std::vector<float>(pos.size() * half)), ds = upload(std::vector<float>(pos.size() * half));
    ASSERT_TRUE(launch_rope_table(test_context(), dp.as<int32_t>(), 3, di.as<double>(), half, dc.as<float>(),
                                  ds.as<float>()).is_ok());
    ASSERT_TRUE(launch_rope(test_context(), dq.as<float>(), 3, heads, hd, half, neox, dc.as<float>(),
                            ds.as<float>()).is_ok());
    for (size_t t = 0; t < pos.size(); ++t) {
      cpu::rope(q.data() + t * heads * hd, heads, hd, pos[t], 10000.0f, 1.0f,
                neox ? cpu::RopeLayout::kNeox : cpu::RopeLayout::kNormal);
    }
    EXPECT_LT(relative_error(download<float>(dq, q.size()), q), 1e-4) << (neox ? "neox" : "normal");
  }
}

TEST(Attention, PrefillChunkAndSplitDecodeMatchCpu) {
  ASC_REQUIRE_GPU();
  const cpu::KvGeometry geo{2, 2, 64};
  const int32_t num_heads = 6;
  const int32_t num_blocks = 80;
  cpu::KvStorage kv(geo, num_blocks);
  cpu::ThreadPool pool(1);
  const cpu::KernelTable& kt = cpu::kernel_table(cpu::IsaLevel::kScalar);
  cpu::PagedAttention att(kt, num_heads, geo);
  // Row 0: a 1100-token context whose last 3 tokens are this step's chunk (earlier blocks random);
  // row 1: a 1-token decode at position 40; both with shuffled block tables.
  std::vector<int32_t> table0, table1;
  for (int32_t b = 0; b < 69; ++b) table0.push_back((b * 7) % 69);
  for (int32_t b = 69; b < 72; ++b) table1.push_back(b);
  std::vector<uint8_t> init_bytes;
  std::vector<float> noise = random_floats(kv.block_bytes() / 2 * num_blocks, 21);
  for (int32_t b = 0; b < num_blocks; ++b)
    for (int32_t l = 0; l < 2; ++l) {
      cpu::fp32_to_fp16_row(noise.data() + (static_cast<size_t>(b) * 2 + l) * geo.slab_elems() * 2, kv.k(b, l),
                            static_cast<int64_t>(geo.slab_elems()));
      cpu::fp32_to_fp16_row(noise.data() + ((static_cast<size_t>(b) * 2 + l) * 2 + 1) * geo.slab_elems(), kv.v(b, l),
                            static_cast<int64_t>(geo.slab_elems()));
    }
  std::vector<int32_t> all_blocks(num_blocks);
  for (int32_t b = 0; b < num_blocks; ++b) all_blocks[b] = b;
  std::vector<uint8_t> before;
  ASSERT_TRUE(kv.export_blocks(all_blocks, before).is_ok());
  std::vector<cpu::AttentionRow> rows = {{1097, 3, 0, table0}, {40, 1, 3, table1}};
  const int32_t m = 4;
  std::vector<float> q = random_floats(m * num_heads * 64, 22), k = random_floats(m * 2 * 64, 23),
                     v = random_floats(m * 2 * 64, 24);
  ASSERT_TRUE(cpu::check_attention_rows(kv, rows).is_ok());
  att.prepare(rows);
  att.write_kv(pool, kv, 1, k.data(), v.data());
  std::vector<float> ref(q.size());
  att.run(pool, kv, 1, q.data(), ref.data());
  std::vector<uint8_t> after;
  ASSERT_TRUE(kv.export_blocks(all_blocks, after).is_ok());

  DeviceBuffer dkv = upload(before);
  std::vector<int32_t> positions = {1097, 1098, 1099, 40};
  std::vector<int32_t> offsets = {0, 0, 0, 69};
  std::vector<int32_t> tables = table0;
  tables.insert(tables.end(), table1.begin(), table1.end());
  DeviceBuffer dpos = upload(positions), doff = upload(offsets), dtab = upload(tables);
  DeviceBuffer dq = upload(q), dk = upload(k), dv = upload(v), dout = upload(std::vector<float>(q.size()));
  const DeviceKv dev{dkv.as<__half>(), num_blocks, 2, 2, 64};
  const AttentionTokens at{dpos.as<int32_t>(), doff.as<int32_t>(), dtab.as<int32_t>(), m, 1100};
  const int32_t splits = attention_num_splits(1100);
  EXPECT_GT(splits, 1);
  DeviceBuffer scratch = upload(std::vector<float>(attention_scratch_floats(m, num_heads, 64, splits)));
  ASSERT_TRUE(launch_kv_append(test_context(), dev, 1, at, dk.as<float>(), dv.as<float>()).is_ok());
  EXPECT_EQ(download<uint8_t>(dkv, after.size()), after);  // same f16 bits in the same places
  ASSERT_TRUE(launch_paged_attention(test_context(), dev, 1, at, num_heads, dq.as<float>(), scratch.as<float>(),
                                     dout.as<float>()).is_ok());
  EXPECT_LT(relative_error(download<float>(dout, ref.size()), ref), 1e-4);
}

TEST(Sampling, GreedyAndFilteredDrawsMatchCpu) {
  ASC_REQUIRE_GPU();
  const int32_t vocab = 5000;
  const int32_t rows = 64;
  std::vector<float> logits = random_floats(static_cast<size_t>(rows) * vocab, 31, -8, 8);
  std::vector<DeviceSamplingParams> params(rows);
  std::vector<SamplingParams> cpu_params(rows);
  for (int32_t r = 0; r < rows; ++r) {
    SamplingParams& p = cpu_params[r];
    p.temperature = r % 4 == 0 ? 0.0f : 0.7f + 0.1f * (r % 3);
    p.top_p = r % 2 == 0 ? 0.9f : 1.0f;
    p.top_k = r % 8 == 3 ? 40 : 0;
    p.min_p = r % 16 == 5 ? 0.05f : 0.0f;
    p.seed = 1000 + r;
    params[r] = {p.temperature, p.top_p, p.min_p, p.top_k, cpu::counter_uniform(p.seed, 3)};
  }
  DeviceBuffer dl = upload(logits), dp = upload(params), probs = upload(std::vector<float>(logits.size()));
  DeviceBuffer out = upload(std::vector<int32_t>(rows, -1));
  ASSERT_TRUE(launch_sample(test_context(), dl.as<float>(), rows, vocab, dp.as<DeviceSamplingParams>(),
                            probs.as<float>(), out.as<int32_t>()).is_ok());
  const std::vector<int32_t> got = download<int32_t>(out, rows);
  cpu::Sampler sampler;
  int agree = 0;
  for (int32_t r = 0; r < rows; ++r) {
    const std::span<const float> row(logits.data() + static_cast<size_t>(r) * vocab, vocab);
    const int32_t want = sampler.sample(row, cpu_params[r], 3);
    if (cpu_params[r].temperature <= 0.0f) EXPECT_EQ(got[r], want) << "greedy row " << r;
    // top-k alone: the CPU's walk order after nth_element is unspecified, so only membership is checked.
    agree += got[r] == want ? 1 : 0;
    ASSERT_GE(got[r], 0);
    ASSERT_LT(got[r], vocab);
  }
  EXPECT_GE(agree, rows * 9 / 10) << agree << " of " << rows << " draws agree with the CPU sampler";
}

TEST(BlockCopy, CopyGatherScatterMoveWholeBlocks) {
  ASC_REQUIRE_GPU();
  const size_t block_bytes = 4096;
  const int32_t n = 6;
  std::vector<uint8_t> host(block_bytes * n);
  for (size_t i = 0; i < host.size(); ++i) host[i] = static_cast<uint8_t>(i * 2654435761u >> 13);
  DeviceBuffer kv = upload(host);
  DeviceBuffer pairs = upload(std::vector<int32_t>{0, 5, 2, 2});
  ASSERT_TRUE(launch_copy_blocks(test_context(), kv.as<uint8_t>(), block_bytes, pairs.as<int32_t>(), 2).is_ok());
  std::vector<uint8_t> want = host;
  std::memcpy(&want[5 * block_bytes], &host[0], block_bytes);
  EXPECT_EQ(download<uint8_t>(kv, want.size()), want);
  DeviceBuffer ids = upload(std::vector<int32_t>{3, 1});
  DeviceBuffer staging = upload(std::vector<uint8_t>(2 * block_bytes));
  ASSERT_TRUE(launch_gather_blocks(test_context(), kv.as<uint8_t>(), block_bytes, ids.as<int32_t>(), 2,
                                   staging.as<uint8_t>()).is_ok());
  const std::vector<uint8_t> gathered = download<uint8_t>(staging, 2 * block_bytes);
  EXPECT_EQ(0, std::memcmp(gathered.data(), &want[3 * block_bytes], block_bytes));
  DeviceBuffer dst_ids = upload(std::vector<int32_t>{4, 0});
  ASSERT_TRUE(launch_scatter_blocks(test_context(), kv.as<uint8_t>(), block_bytes, dst_ids.as<int32_t>(), 2,
                                    staging.as<uint8_t>()).is_ok());
  const std::vector<uint8_t> final_bytes = download<uint8_t>(kv, want.size());
  EXPECT_EQ(0, std::memcmp(&final_bytes[4 * block_bytes], &want[3 * block_bytes], block_bytes));
  EXPECT_EQ(0, std::memcmp(&final_bytes[0], &want[1 * block_bytes], block_bytes));
  EXPECT_FALSE(launch_copy_blocks(test_context(), kv.as<uint8_t>(), 10, pairs.as<int32_t>(), 1).is_ok());
}

}  // namespace
}  // namespace asc::cuda
