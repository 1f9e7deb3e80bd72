// load_model over tiny random models written as GGUF and as HF safetensors folders (single file
// and sharded), the real GGUF model, and error cases.
#include "engine/model/model_loader.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include <nlohmann/json.hpp>

#include "tests/model/gguf_test_builder.h"
#include "tests/model/safetensors_test_writer.h"

namespace asc {
namespace {

namespace fs = std::filesystem;
using testing::GgufBuilder;
using testing::SafetensorsWriter;

constexpr int kHidden = 64, kLayers = 2, kHeads = 4, kKvHeads = 2, kHeadDim = 16, kFfn = 96,
              kVocab = 40;

struct TinyTensor {
  std::vector<int64_t> dims;  // GGUF order
  std::vector<float> values;
};

// Random F32 tensors of a tiny llama model by GGUF name; `bias` adds Q/K/V biases.
std::map<std::string, TinyTensor> tiny_model(bool untied, bool bias, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::map<std::string, TinyTensor> m;
  auto add = [&](const std::string& name, std::vector<int64_t> dims) {
    int64_t n = 1;
    for (int64_t d : dims) n *= d;
    std::vector<float> v(static_cast<size_t>(n));
    for (float& x : v) x = dist(rng);
    m[name] = {std::move(dims), std::move(v)};
  };
  const int q = kHeads * kHeadDim, kv = kKvHeads * kHeadDim;
  add("token_embd.weight", {kHidden, kVocab});
  add("output_norm.weight", {kHidden});
  if (untied) add("output.weight", {kHidden, kVocab});
  for (int l = 0; l < kLayers; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    add(p + "attn_norm.weight", {kHidden});
    add(p + "attn_q.weight", {kHidden, q});
    add(p + "attn_k.weight", {kHidden, kv});
    add(p + "attn_v.weight", {kHidden, kv});
    add(p + "attn_output.weight", {q, kHidden});
    if (bias) {
      add(p + "attn_q.bias", {q});
      add(p + "attn_k.bias", {kv});
      add(p + "attn_v.bias", {kv});
    }
    add(p + "ffn_norm.weight", {kHidden});
    add(p + "ffn_gate.weight", {kHidden, kFfn});
    add(p + "ffn_up.weight", {kHidden, kFfn});
    add(p + "ffn_down.weight", {kFfn, kHidden});
  }
  return m;
}

std::vector<uint8_t> to_bytes(const std::vector<float>& v) {
  std::vector<uint8_t> b(v.size() * 4);
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

std::string temp_dir(const std::string& name) {
  const fs::path p = fs::path(::testing::TempDir()) / name;
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

std::string write_gguf(const std::map<std::string, TinyTensor>& m, const std::string& arch,
                       const std::string& path, const std::string& skip = "") {
  GgufBuilder b(3);
  b.add_string("general.architecture", arch);
  b.add<uint32_t>(arch + ".embedding_length", 4, kHidden);
  b.add<uint32_t>(arch + ".block_count", 4, kLayers);
  b.add<uint32_t>(arch + ".attention.head_count", 4, kHeads);
  b.add<uint32_t>(arch + ".attention.head_count_kv", 4, kKvHeads);
  b.add<uint32_t>(arch + ".feed_forward_length", 4, kFfn);
  b.add<uint32_t>(arch + ".context_length", 4, 256);
  for (const auto& [name, t] : m) {
    if (name == skip) continue;
    std::vector<uint64_t> dims(t.dims.begin(), t.dims.end());
    b.add_tensor(name, 0, dims, to_bytes(t.values));
  }
  SafetensorsWriter::write_file(path, b.build());
  return path;
}

// Writes the model as a HF folder: config.json and 1 or 2 shards (with an index when 2).
void write_hf(const std::map<std::string, TinyTensor>& m, const std::string& model_type,
              bool tied, const std::string& dir, int num_shards) {
  nlohmann::json config = {{"model_type", model_type}, {"hidden_size", kHidden},
                           {"num_hidden_layers", kLayers}, {"num_attention_heads", kHeads},
                           {"num_key_value_heads", kKvHeads}, {"intermediate_size", kFfn},
                           {"vocab_size", kVocab}, {"max_position_embeddings", 256},
                           {"tie_word_embeddings", tied}};
  std::ofstream(dir + "/config.json") << config.dump(2);
  std::vector<SafetensorsWriter> shards(static_cast<size_t>(num_shards));
  nlohmann::json weight_map = nlohmann::json::object();
  int i = 0;
  for (const auto& [name, t] : m) {
    const std::string hf = name.rfind("blk.", 0) == 0
        ? weight_name(WeightNaming::kHf, name.substr(name.find('.', 4) + 1),
                      std::stoi(name.substr(4)))
        : weight_name(WeightNaming::kHf, name, -1);
    std::vector<int64_t> shape(t.dims.rbegin(), t.dims.rend());  // HF row-major order
    const int s = i++ % num_shards;
    shards[static_cast<size_t>(s)].add_f32(hf, shape, t.values);
    weight_map[hf] = "model-0000" + std::to_string(s + 1) + "-of-0000" + std::to_string(num_shards) +
                     ".safetensors";
  }
  for (int s = 0; s < num_shards; ++s) {
    const std::string file = num_shards == 1 ? "model.safetensors"
        : "model-0000" + std::to_string(s + 1) + "-of-0000" + std::to_string(num_shards) + ".safetensors";
    SafetensorsWriter::write_file(dir + "/" + file, shards[static_cast<size_t>(s)].build());
  }
  if (num_shards > 1) {
    std::ofstream(dir + "/model.safetensors.index.json") << nlohmann::json{{"weight_map", weight_map}}.dump();
  }
}

std::vector<float> floats_of(const TensorView& t) {
  EXPECT_EQ(t.type, DType::kF32);
  const auto* p = reinterpret_cast<const float*>(t.data);
  return std::vector<float>(p, p + t.num_elements());
}

// Every role of a loaded model holds the values of the tiny model's tensor of that GGUF name.
void expect_weights_match(const Model& model, const std::map<std::string, TinyTensor>& m) {
  const ModelWeights& w = model.weights();
  EXPECT_EQ(floats_of(w.token_embd), m.at("token_embd.weight").values);
  EXPECT_EQ(floats_of(w.output_norm), m.at("output_norm.weight").values);
  EXPECT_EQ(floats_of(w.output),
            m.count("output.weight") ? m.at("output.weight").values : m.at("token_embd.weight").values);
  ASSERT_EQ(w.layers.size(), static_cast<size_t>(kLayers));
  for (int l = 0; l < kLayers; ++l) {
    const LayerWeights& L = w.layers[static_cast<size_t>(l)];
    const std::string p = "blk." + std::to_string(l) + ".";
    EXPECT_EQ(floats_of(L.attn_norm), m.at(p + "attn_norm.weight").values);
    EXPECT_EQ(floats_of(L.wq), m.at(p + "attn_q.weight").values);
    EXPECT_EQ(L.wq.shape[0], kHidden);
    EXPECT_EQ(L.wq.shape[1], kHeads * kHeadDim);
    EXPECT_EQ(floats_of(L.wk), m.at(p + "attn_k.weight").values);
    EXPECT_EQ(floats_of(L.wv), m.at(p + "attn_v.weight").values);
    EXPECT_EQ(floats_of(L.wo), m.at(p + "attn_output.weight").values);
    EXPECT_EQ(floats_of(L.ffn_norm), m.at(p + "ffn_norm.weight").values);
    EXPECT_EQ(floats_of(L.ffn_gate), m.at(p + "ffn_gate.weight").values);
    EXPECT_EQ(floats_of(L.ffn_up), m.at(p + "ffn_up.weight").values);
    EXPECT_EQ(floats_of(L.ffn_down), m.at(p + "ffn_down.weight").values);
    EXPECT_EQ(L.ffn_down.shape[0], kFfn);
    EXPECT_EQ(L.bq.has_value(), m.count(p + "attn_q.bias") == 1);
    if (L.bq) {
      EXPECT_EQ(floats_of(*L.bq), m.at(p + "attn_q.bias").values);
      EXPECT_EQ(floats_of(*L.bk), m.at(p + "attn_k.bias").values);
      EXPECT_EQ(floats_of(*L.bv), m.at(p + "attn_v.bias").values);
    }
  }
}

TEST(ModelLoaderTest, LoadsTinyGgufTiedAndUntied) {
  const std::string dir = temp_dir("loader_gguf");
  for (bool untied : {false, true}) {
    auto m = tiny_model(untied, false, 11);
    const std::string path = write_gguf(m, "llama", dir + "/tiny.gguf");
    auto model = load_model(path);
    ASSERT_TRUE(model.is_ok()) << model.status().to_string();
    EXPECT_EQ((*model)->format(), ModelFormat::kGguf);
    EXPECT_NE((*model)->gguf(), nullptr);
    EXPECT_EQ((*model)->path(), path);
    EXPECT_EQ((*model)->spec().tied_embeddings, !untied);
    EXPECT_EQ((*model)->spec().rope_layout, RopeLayout::kNormal);
    expect_weights_match(**model, m);
    if (!untied) {
      EXPECT_EQ((*model)->weights().output.data, (*model)->weights().token_embd.data);
    }
  }
}

TEST(ModelLoaderTest, HfFolderMatchesGgufValuesSingleAndSharded) {
  for (int shards : {1, 2}) {
    auto m = tiny_model(/*untied=*/shards == 2, /*bias=*/shards == 2, 21);
    const std::string dir = temp_dir("loader_hf_" + std::to_string(shards));
    write_hf(m, shards == 2 ? "qwen2" : "llama", /*tied=*/shards == 1, dir, shards);
    auto model = load_model(dir);
    ASSERT_TRUE(model.is_ok()) << model.status().to_string();
    EXPECT_EQ((*model)->format(), ModelFormat::kSafetensors);
    EXPECT_EQ((*model)->gguf(), nullptr);
    EXPECT_EQ((*model)->shards().size(), static_cast<size_t>(shards));
    EXPECT_EQ((*model)->spec().rope_layout, RopeLayout::kNeox);
    EXPECT_EQ((*model)->spec().qkv_bias, shards == 2);
    expect_weights_match(**model, m);
  }
}

TEST(ModelLoaderTest, GgufErrorsNameTheTensor) {
  const std::string dir = temp_dir("loader_gguf_err");
  auto m = tiny_model(false, false, 31);
  auto missing = load_model(write_gguf(m, "llama", dir + "/missing.gguf", "blk.1.ffn_up.weight"));
  ASSERT_FALSE(missing.is_ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(missing.status().message().find("blk.1.ffn_up.weight"), std::string::npos);
  m["blk.0.attn_k.weight"].dims = {kHidden, kHeads * kHeadDim};  // Q width where KV width belongs
  m["blk.0.attn_k.weight"].values.resize(kHidden * kHeads * kHeadDim);
  auto shape = load_model(write_gguf(m, "llama", dir + "/shape.gguf"));
  ASSERT_FALSE(shape.is_ok());
  EXPECT_NE(shape.status().message().find("'blk.0.attn_k.weight' has shape [64, 64, 1, 1]"),
            std::string::npos) << shape.status().to_string();
  auto arch = load_model(write_gguf(tiny_model(false, false, 32), "gpt2", dir + "/arch.gguf"));
  EXPECT_EQ(arch.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(arch.status().message().find("'gpt2'"), std::string::npos);
}

TEST(ModelLoaderTest, PathErrors) {
  auto none = load_model("/nonexistent/model.gguf");
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
  EXPECT_NE(none.status().message().find("/nonexistent/model.gguf"), std::string::npos);
  const std::string dir = temp_dir("loader_paths");
  std::ofstream(dir + "/notes.txt") << "hello";
  EXPECT_EQ(load_model(dir + "/notes.txt").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(load_model(dir).status().code(), StatusCode::kNotFound);  // no config.json
  write_hf(tiny_model(false, false, 41), "llama", true, dir, 1);
  fs::remove(dir + "/model.safetensors");
  auto no_shards = load_model(dir);
  EXPECT_EQ(no_shards.status().code(), StatusCode::kNotFound);
  EXPECT_NE(no_shards.status().message().find("safetensors"), std::string::npos);
}

TEST(ModelLoaderTest, HfFolderErrors) {
  const std::string dir = temp_dir("loader_hf_err");
  // Untied config but no lm_head.
  write_hf(tiny_model(false, false, 51), "llama", /*tied=*/false, dir, 1);
  auto untied = load_model(dir);
  EXPECT_EQ(untied.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(untied.status().message().find("lm_head.weight"), std::string::npos);
  // Index naming a shard that does not hold the tensor.
  const std::string dir2 = temp_dir("loader_hf_err2");
  write_hf(tiny_model(true, false, 52), "llama", false, dir2, 2);
  nlohmann::json index;
  std::ifstream(dir2 + "/model.safetensors.index.json") >> index;
  index["weight_map"]["lm_head.weight"] =
      index["weight_map"]["lm_head.weight"] == "model-00001-of-00002.safetensors"
          ? "model-00002-of-00002.safetensors" : "model-00001-of-00002.safetensors";
  std::ofstream(dir2 + "/model.safetensors.index.json") << index.dump();
  auto bad_index = load_model(dir2);
  EXPECT_EQ(bad_index.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(bad_index.status().message().find("lm_head.weight"), std::string::npos);
  index["weight_map"]["lm_head.weight"] = "../evil.safetensors";
  std::ofstream(dir2 + "/model.safetensors.index.json") << index.dump();
  EXPECT_EQ(load_model(dir2).status().code(), StatusCode::kDataLoss);
}

TEST(ModelLoaderTest, RealGgufModel) {
  const std::string path = std::string(ASC_SOURCE_DIR) + "/models/SmolLM2-135M-Instruct.Q4_1.gguf";
  if (!fs::exists(path)) GTEST_SKIP() << "model file absent: " << path;
  auto model = load_model(path);
  ASSERT_TRUE(model.is_ok()) << model.status().to_string();
  const ModelSpec& s = (*model)->spec();
  EXPECT_EQ(s.num_layers, 30);
  EXPECT_TRUE(s.tied_embeddings);
  const ModelWeights& w = (*model)->weights();
  EXPECT_EQ(w.layers.size(), 30u);
  EXPECT_EQ(w.token_embd.type, DType::kQ8_0);
  EXPECT_EQ(w.output.data, w.token_embd.data);
  EXPECT_EQ(w.layers[0].wq.type, DType::kQ4_1);
  EXPECT_EQ(w.layers[29].ffn_down.shape[0], 1536);
  EXPECT_EQ(w.layers[3].attn_norm.type, DType::kF32);
  EXPECT_FALSE(w.layers[0].bq.has_value());
  EXPECT_FALSE(w.rope_freqs.has_value());
  // Views point into the mapping.
  const auto bytes = (*model)->gguf()->bytes();
  EXPECT_GE(w.layers[7].ffn_up.data, bytes.data());
  EXPECT_LE(w.layers[7].ffn_up.data + w.layers[7].ffn_up.size_bytes, bytes.data() + bytes.size());
}

}  // namespace
}  // namespace asc
