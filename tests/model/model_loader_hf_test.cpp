// The HF folder written by scripts/make-safetensors.py from the real GGUF model: same spec except
// the rope layout, and its F32 tensors equal the GGUF tensors dequantized here independently
// (Q8_0 embeddings, Q4_1 projections), with Q/K rows un-permuted.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "engine/model/model_loader.h"

namespace asc {
namespace {

namespace fs = std::filesystem;

float half_to_float(uint16_t h) {
  const int sign = (h >> 15) & 1, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  float v;
  if (exp == 0) v = std::ldexp(static_cast<float>(mant), -24);
  else if (exp == 31) v = mant ? NAN : INFINITY;
  else v = std::ldexp(static_cast<float>(mant | 0x400), exp - 25);
  return sign ? -v : v;
}

uint16_t load_u16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}

// Row `r` of a Q8_0 or Q4_1 tensor as floats (block layouts from the GGML format description).
std::vector<float> dequant_row(const TensorView& t, int64_t r) {
  std::vector<float> out(static_cast<size_t>(t.shape[0]));
  const uint8_t* row = t.row(r);
  for (int64_t b = 0; b < t.shape[0] / 32; ++b) {
    if (t.type == DType::kQ8_0) {
      const uint8_t* blk = row + b * 34;
      const float d = half_to_float(load_u16(blk));
      for (int i = 0; i < 32; ++i) out[b * 32 + i] = d * static_cast<float>(static_cast<int8_t>(blk[2 + i]));
    } else {
      const uint8_t* blk = row + b * 20;
      const float d = half_to_float(load_u16(blk)), m = half_to_float(load_u16(blk + 2));
      for (int i = 0; i < 16; ++i) {
        out[b * 32 + i] = d * static_cast<float>(blk[4 + i] & 0xf) + m;
        out[b * 32 + 16 + i] = d * static_cast<float>(blk[4 + i] >> 4) + m;
      }
    }
  }
  return out;
}

// HF row `hf_row` holds `want` (the dequantized GGUF row).
void expect_row_near(const std::vector<float>& want, const TensorView& hf, int64_t hf_row) {
  const auto* got = reinterpret_cast<const float*>(hf.row(hf_row));
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_NEAR(got[i], want[i], 1e-6f * (1.0f + std::fabs(want[i]))) << hf.name << " row " << hf_row;
  }
}

TEST(ModelLoaderHfTest, ScriptFolderMatchesGguf) {
  const std::string gguf = std::string(ASC_SOURCE_DIR) + "/models/SmolLM2-135M-Instruct.Q4_1.gguf";
  const char* env = std::getenv("ASC_HF_MODEL_DIR");
  const std::string dir = env ? env : std::string(ASC_SOURCE_DIR) + "/models/SmolLM2-135M-Instruct-hf";
  if (!fs::exists(gguf)) GTEST_SKIP() << "model file absent: " << gguf;
  if (!fs::exists(dir + "/model.safetensors")) {
    GTEST_SKIP() << "HF folder absent: run scripts/make-safetensors.py (writes " << dir << ")";
  }
  auto g = load_model(gguf);
  auto h = load_model(dir);
  ASSERT_TRUE(g.is_ok()) << g.status().to_string();
  ASSERT_TRUE(h.is_ok()) << h.status().to_string();
  const ModelSpec& gs = (*g)->spec();
  const ModelSpec& hs = (*h)->spec();
  EXPECT_EQ(hs.rope_layout, RopeLayout::kNeox);
  EXPECT_EQ(gs.rope_layout, RopeLayout::kNormal);
  EXPECT_EQ(hs.hidden_size, gs.hidden_size);
  EXPECT_EQ(hs.num_layers, gs.num_layers);
  EXPECT_EQ(hs.num_kv_heads, gs.num_kv_heads);
  EXPECT_EQ(hs.vocab_size, gs.vocab_size);
  EXPECT_EQ(hs.tied_embeddings, gs.tied_embeddings);
  EXPECT_FLOAT_EQ(hs.rope_theta, gs.rope_theta);
  EXPECT_FLOAT_EQ(hs.rms_eps, gs.rms_eps);
  const ModelWeights& gw = (*g)->weights();
  const ModelWeights& hw = (*h)->weights();
  ASSERT_EQ(hw.token_embd.type, DType::kF32);
  for (int64_t r : {0, 1, 2, 1000, 49151}) expect_row_near(dequant_row(gw.token_embd, r), hw.token_embd, r);
  for (int64_t r : {0, 777, 1535}) {
    expect_row_near(dequant_row(gw.layers[5].ffn_up, r), hw.layers[5].ffn_up, r);
  }
  expect_row_near(dequant_row(gw.layers[0].wv, 191), hw.layers[0].wv, 191);
  // Norms are F32 in both: equal bytes.
  EXPECT_EQ(0, std::memcmp(gw.layers[9].ffn_norm.data, hw.layers[9].ffn_norm.data, 576 * 4));
  // Q and K: GGUF row (head h, 2i + j) is HF row (h, j * head_dim / 2 + i).
  const int64_t d = gs.head_dim;
  for (int layer : {0, 29}) {
    const LayerWeights& gl = gw.layers[static_cast<size_t>(layer)];
    const LayerWeights& hl = hw.layers[static_cast<size_t>(layer)];
    for (int64_t r = 0; r < gs.q_size(); r += 7) {
      const int64_t h = r / d, i = (r % d) / 2, j = r % 2;
      expect_row_near(dequant_row(gl.wq, r), hl.wq, h * d + j * d / 2 + i);
    }
    for (int64_t r = 0; r < gs.kv_size(); r += 5) {
      const int64_t h = r / d, i = (r % d) / 2, j = r % 2;
      expect_row_near(dequant_row(gl.wk, r), hl.wk, h * d + j * d / 2 + i);
    }
  }
}

}  // namespace
}  // namespace asc
