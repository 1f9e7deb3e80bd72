// ModelSpec from GGUF metadata and from HF config.json.
#include "engine/model/model_spec.h"

#include <gtest/gtest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "engine/model/gguf.h"
#include "tests/model/gguf_test_builder.h"

namespace asc {
namespace {

using testing::GgufBuilder;
using nlohmann::json;

// SmolLM2-135M-Instruct's config.json, as published on the Hugging Face hub.
json smollm2_config() {
  return json::parse(R"({
    "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 576,
    "intermediate_size": 1536, "num_attention_heads": 9, "num_hidden_layers": 30,
    "num_key_value_heads": 3, "max_position_embeddings": 8192, "rms_norm_eps": 1e-05,
    "rope_theta": 100000, "rope_scaling": null, "tie_word_embeddings": true, "vocab_size": 49152,
    "attention_bias": false, "torch_dtype": "bfloat16"})");
}

TEST(ModelSpecTest, FromHfConfigLlama) {
  auto s = spec_from_hf_config(smollm2_config());
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  EXPECT_EQ(s->architecture, "llama");
  EXPECT_EQ(s->hidden_size, 576);
  EXPECT_EQ(s->num_layers, 30);
  EXPECT_EQ(s->num_heads, 9);
  EXPECT_EQ(s->num_kv_heads, 3);
  EXPECT_EQ(s->head_dim, 64);
  EXPECT_EQ(s->rope_dim, 64);
  EXPECT_EQ(s->ffn_size, 1536);
  EXPECT_EQ(s->vocab_size, 49152);
  EXPECT_EQ(s->context_length, 8192);
  EXPECT_FLOAT_EQ(s->rms_eps, 1e-5f);
  EXPECT_FLOAT_EQ(s->rope_theta, 100000.0f);
  EXPECT_EQ(s->rope_layout, RopeLayout::kNeox);
  EXPECT_EQ(s->rope_scaling.type, RopeScalingType::kNone);
  EXPECT_TRUE(s->tied_embeddings);
  EXPECT_FALSE(s->qkv_bias);
  EXPECT_EQ(s->q_size(), 576);
  EXPECT_EQ(s->kv_size(), 192);
}

TEST(ModelSpecTest, FromHfConfigQwen2AndRopeScaling) {
  json c = smollm2_config();
  c["model_type"] = "qwen2";
  c["sliding_window"] = 4096;
  c["use_sliding_window"] = false;
  c["rope_scaling"] = {{"rope_type", "llama3"}, {"factor", 8.0}, {"low_freq_factor", 1.0},
                       {"high_freq_factor", 4.0}, {"original_max_position_embeddings", 8192}};
  auto s = spec_from_hf_config(c);
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  EXPECT_TRUE(s->qkv_bias);
  EXPECT_EQ(s->sliding_window, 0);
  EXPECT_EQ(s->rope_scaling.type, RopeScalingType::kLlama3);
  EXPECT_FLOAT_EQ(s->rope_scaling.factor, 8.0f);
  EXPECT_EQ(s->rope_scaling.original_context_length, 8192);
  c["model_type"] = "mistral";
  c["rope_scaling"] = {{"type", "linear"}, {"factor", 2.0}};
  s = spec_from_hf_config(c);
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  EXPECT_EQ(s->sliding_window, 4096);
  EXPECT_EQ(s->rope_scaling.type, RopeScalingType::kLinear);
  EXPECT_FLOAT_EQ(s->rope_scaling.factor, 2.0f);
}

TEST(ModelSpecTest, HfConfigErrorsNameTheProblem) {
  json c = smollm2_config();
  c["model_type"] = "gpt_neox";
  auto s = spec_from_hf_config(c);
  EXPECT_EQ(s.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(s.status().message().find("gpt_neox"), std::string::npos);
  c = smollm2_config();
  c.erase("num_hidden_layers");
  EXPECT_NE(spec_from_hf_config(c).status().message().find("num_hidden_layers"), std::string::npos);
  c = smollm2_config();
  c["num_key_value_heads"] = 4;  // 9 heads not a multiple of 4
  EXPECT_EQ(spec_from_hf_config(c).status().code(), StatusCode::kInvalidArgument);
  c = smollm2_config();
  c["hidden_size"] = "576";
  EXPECT_EQ(spec_from_hf_config(c).status().code(), StatusCode::kInvalidArgument);
  c = smollm2_config();
  c["rope_scaling"] = {{"type", "dynamic"}, {"factor", 2.0}};
  EXPECT_EQ(spec_from_hf_config(c).status().code(), StatusCode::kUnimplemented);
  EXPECT_EQ(spec_from_hf_config(json::array()).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(spec_from_hf_config_file("/nonexistent/config.json").status().code(),
            StatusCode::kNotFound);
}

// A GGUF with llama-style metadata for `arch` (no tensors: sizes come from metadata).
GgufBuilder gguf_meta(const std::string& arch) {
  GgufBuilder b(3);
  b.add_string("general.architecture", arch);
  b.add<uint32_t>(arch + ".embedding_length", 4, 128);
  b.add<uint32_t>(arch + ".block_count", 4, 2);
  b.add<uint32_t>(arch + ".attention.head_count", 4, 4);
  b.add<uint32_t>(arch + ".attention.head_count_kv", 4, 2);
  b.add<uint32_t>(arch + ".feed_forward_length", 4, 256);
  b.add<uint32_t>(arch + ".context_length", 4, 1024);
  b.add<uint32_t>(arch + ".vocab_size", 4, 100);
  b.add<float>(arch + ".attention.layer_norm_rms_epsilon", 6, 1e-6f);
  b.add<float>(arch + ".rope.freq_base", 6, 500000.0f);
  return b;
}

TEST(ModelSpecTest, FromGgufMetadata) {
  for (const std::string arch : {"llama", "mistral", "qwen2"}) {
    GgufBuilder b = gguf_meta(arch);
    auto bytes = b.build();
    auto g = GgufFile::parse(bytes);
    ASSERT_TRUE(g.is_ok()) << g.status().to_string();
    auto s = spec_from_gguf(**g);
    ASSERT_TRUE(s.is_ok()) << s.status().to_string();
    EXPECT_EQ(s->architecture, arch);
    EXPECT_EQ(s->hidden_size, 128);
    EXPECT_EQ(s->head_dim, 32);
    EXPECT_EQ(s->rope_dim, 32);
    EXPECT_EQ(s->num_kv_heads, 2);
    EXPECT_EQ(s->context_length, 1024);
    EXPECT_FLOAT_EQ(s->rms_eps, 1e-6f);
    EXPECT_FLOAT_EQ(s->rope_theta, 500000.0f);
    EXPECT_EQ(s->rope_layout, arch == "qwen2" ? RopeLayout::kNeox : RopeLayout::kNormal);
    EXPECT_TRUE(s->tied_embeddings);  // no output.weight tensor
    EXPECT_FALSE(s->qkv_bias);
  }
}

TEST(ModelSpecTest, FromGgufRopeScalingAndErrors) {
  GgufBuilder b = gguf_meta("llama");
  b.add_string("llama.rope.scaling.type", "linear");
  b.add<float>("llama.rope.scaling.factor", 6, 4.0f);
  auto bytes = b.build();
  auto g = GgufFile::parse(bytes);
  ASSERT_TRUE(g.is_ok());
  auto s = spec_from_gguf(**g);
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  EXPECT_EQ(s->rope_scaling.type, RopeScalingType::kLinear);
  EXPECT_FLOAT_EQ(s->rope_scaling.factor, 4.0f);

  GgufBuilder phi = gguf_meta("phi3");
  auto pbytes = phi.build();
  auto pg = GgufFile::parse(pbytes);
  ASSERT_TRUE(pg.is_ok());
  auto ps = spec_from_gguf(**pg);
  EXPECT_EQ(ps.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(ps.status().message().find("'phi3'"), std::string::npos);

  GgufBuilder missing(3);
  missing.add_string("general.architecture", "llama");
  missing.add<uint32_t>("llama.embedding_length", 4, 128);
  auto mbytes = missing.build();
  auto mg = GgufFile::parse(mbytes);
  ASSERT_TRUE(mg.is_ok());
  auto ms = spec_from_gguf(**mg);
  EXPECT_EQ(ms.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(ms.status().message().find("llama.block_count"), std::string::npos);
}

TEST(ModelSpecTest, RealGgufModel) {
  const std::string path = std::string(ASC_SOURCE_DIR) + "/models/SmolLM2-135M-Instruct.Q4_1.gguf";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "model file absent: " << path;
  auto g = GgufFile::open(path);
  ASSERT_TRUE(g.is_ok()) << g.status().to_string();
  auto s = spec_from_gguf(**g);
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  // Must agree with the published HF config except the rope layout (llama.cpp permuted Q/K).
  auto hf = spec_from_hf_config(smollm2_config());
  ASSERT_TRUE(hf.is_ok());
  EXPECT_EQ(s->hidden_size, hf->hidden_size);
  EXPECT_EQ(s->num_layers, hf->num_layers);
  EXPECT_EQ(s->num_heads, hf->num_heads);
  EXPECT_EQ(s->num_kv_heads, hf->num_kv_heads);
  EXPECT_EQ(s->head_dim, hf->head_dim);
  EXPECT_EQ(s->ffn_size, hf->ffn_size);
  EXPECT_EQ(s->vocab_size, hf->vocab_size);
  EXPECT_EQ(s->context_length, hf->context_length);
  EXPECT_FLOAT_EQ(s->rms_eps, hf->rms_eps);
  EXPECT_FLOAT_EQ(s->rope_theta, hf->rope_theta);
  EXPECT_EQ(s->tied_embeddings, hf->tied_embeddings);
  EXPECT_EQ(s->qkv_bias, hf->qkv_bias);
  EXPECT_EQ(s->rope_layout, RopeLayout::kNormal);
  EXPECT_EQ(s->summary().substr(0, 10), "llama 30L ");
}

}  // namespace
}  // namespace asc
