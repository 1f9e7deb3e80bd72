// GGUF reader: hand-built v2/v3 files with every value type, alignment, tensors; the real model.
#include "engine/model/gguf.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "tests/model/gguf_test_builder.h"

namespace asc {
namespace {

using testing::GgufBuilder;

std::vector<uint8_t> random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

// A file with one value of every type, two tensors and the given alignment.
GgufBuilder all_types_builder(uint32_t version) {
  GgufBuilder b(version);
  b.add<uint8_t>("t.u8", 0, 200);
  b.add<int8_t>("t.i8", 1, -100);
  b.add<uint16_t>("t.u16", 2, 60000);
  b.add<int16_t>("t.i16", 3, -30000);
  b.add<uint32_t>("t.u32", 4, 4000000000u);
  b.add<int32_t>("t.i32", 5, -2000000000);
  b.add<float>("t.f32", 6, 1.5f);
  b.add<uint8_t>("t.bool", 7, 1);
  b.add_string("t.string", "héllo wörld");
  b.add<uint64_t>("t.u64", 10, 1ull << 40);
  b.add<int64_t>("t.i64", 11, -(1ll << 40));
  b.add<double>("t.f64", 12, -2.25);
  b.add_array<float>("t.farr", 6, {0.5f, -1.25f, 3.0f});
  b.add_array<int32_t>("t.iarr", 5, {7, -8, 9});
  b.add_array<uint8_t>("t.u8arr", 0, {1, 2, 255});
  b.add_string_array("t.sarr", {"a", "", "ccc"});
  return b;
}

TEST(GgufTest, ParsesEveryValueTypeInV2AndV3) {
  for (uint32_t version : {2u, 3u}) {
    GgufBuilder b = all_types_builder(version);
    std::vector<uint8_t> bytes = b.build();
    auto f = GgufFile::parse(bytes);
    ASSERT_TRUE(f.is_ok()) << f.status().to_string();
    const GgufFile& g = **f;
    EXPECT_EQ(g.version(), version);
    EXPECT_EQ(*g.get_int("t.u8"), 200);
    EXPECT_EQ(*g.get_int("t.i8"), -100);
    EXPECT_EQ(*g.get_int("t.u16"), 60000);
    EXPECT_EQ(*g.get_int("t.i16"), -30000);
    EXPECT_EQ(*g.get_int("t.u32"), 4000000000ll);
    EXPECT_EQ(*g.get_int("t.i32"), -2000000000);
    EXPECT_EQ(*g.get_int("t.u64"), 1ll << 40);
    EXPECT_EQ(*g.get_int("t.i64"), -(1ll << 40));
    EXPECT_DOUBLE_EQ(*g.get_float("t.f32"), 1.5);
    EXPECT_DOUBLE_EQ(*g.get_float("t.f64"), -2.25);
    EXPECT_DOUBLE_EQ(*g.get_float("t.i32"), -2000000000.0);  // ints read as floats
    EXPECT_TRUE(*g.get_bool("t.bool"));
    EXPECT_EQ(*g.get_string("t.string"), "héllo wörld");
    EXPECT_EQ(*g.get_float_array("t.farr"), (std::vector<float>{0.5f, -1.25f, 3.0f}));
    EXPECT_EQ(*g.get_int_array("t.iarr"), (std::vector<int32_t>{7, -8, 9}));
    EXPECT_EQ(*g.get_int_array("t.u8arr"), (std::vector<int32_t>{1, 2, 255}));
    EXPECT_EQ(*g.get_float_array("t.iarr"), (std::vector<float>{7, -8, 9}));
    EXPECT_EQ(*g.get_string_array("t.sarr"), (std::vector<std::string>{"a", "", "ccc"}));
    EXPECT_EQ(g.keys().size(), 16u);
    EXPECT_EQ(g.keys().front(), "t.u8");
    EXPECT_EQ(g.keys().back(), "t.sarr");
  }
}

TEST(GgufTest, GetterErrorsAreTyped) {
  GgufBuilder b = all_types_builder(3);
  b.add<uint64_t>("t.big", 10, ~0ull);
  b.add_array<int64_t>("t.bigarr", 11, {1, int64_t{1} << 35});
  std::vector<uint8_t> bytes = b.build();
  auto f = GgufFile::parse(bytes);
  ASSERT_TRUE(f.is_ok()) << f.status().to_string();
  const GgufFile& g = **f;
  EXPECT_EQ(g.get_int("absent").status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(g.has_key("absent"));
  EXPECT_TRUE(g.has_key("t.u8"));
  EXPECT_EQ(g.get_string("t.u32").status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(g.get_string("t.u32").status().message().find("U32"), std::string::npos);
  EXPECT_EQ(g.get_int("t.string").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(g.get_int("t.f32").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(g.get_bool("t.u8").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(g.get_float("t.sarr").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(g.get_int("t.big").status().code(), StatusCode::kOutOfRange);
  EXPECT_DOUBLE_EQ(*g.get_float("t.big"), 18446744073709551615.0);
  EXPECT_EQ(g.get_int_array("t.bigarr").status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(g.get_string_array("t.farr").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(g.get_int_array("t.farr").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(g.get_float_array("t.sarr").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(g.get_string_array("t.string").status().code(), StatusCode::kInvalidArgument);
}

TEST(GgufTest, NestedArraysAreSkippedAndRejectedByFlatGetters) {
  GgufBuilder b(3);
  // An array of 2 arrays: [[1,2],[3]] of I32.
  std::vector<uint8_t> v;
  auto put = [&](auto x) { auto e = GgufBuilder::encode(x); v.insert(v.end(), e.begin(), e.end()); };
  put(uint32_t{9});
  put(uint64_t{2});
  put(uint32_t{5}); put(uint64_t{2}); put(int32_t{1}); put(int32_t{2});
  put(uint32_t{5}); put(uint64_t{1}); put(int32_t{3});
  b.add_raw("t.nested", 9, v);
  b.add<uint32_t>("t.after", 4, 77);
  std::vector<uint8_t> bytes = b.build();
  auto f = GgufFile::parse(bytes);
  ASSERT_TRUE(f.is_ok()) << f.status().to_string();
  EXPECT_EQ(*(*f)->get_int("t.after"), 77);
  auto e = (*f)->entry("t.nested");
  ASSERT_TRUE(e.is_ok());
  EXPECT_EQ(e->elem_type, GgufValueType::kArray);
  EXPECT_EQ(e->count, 2u);
  EXPECT_EQ((*f)->get_int_array("t.nested").status().code(), StatusCode::kInvalidArgument);
}

TEST(GgufTest, TensorsAreViewsAtAlignedOffsets) {
  for (uint32_t alignment : {32u, 64u, 256u}) {
    GgufBuilder b(3);
    b.add<uint32_t>("general.alignment", 4, alignment);
    auto w = random_bytes(4 * 8 * 3, 1);
    auto q = random_bytes(20 * 2 * 5, 2);  // Q4_1: 64 x 5 -> 2 blocks of 20 bytes per row
    auto h = random_bytes(2 * 32, 3);
    b.add_tensor("w", 0, {8, 3}, w);
    b.add_tensor("q", 3, {64, 5}, q);
    b.add_tensor("h", 1, {32}, h);
    std::vector<uint8_t> bytes = b.build(alignment);
    auto f = GgufFile::parse(bytes);
    ASSERT_TRUE(f.is_ok()) << f.status().to_string();
    const GgufFile& g = **f;
    EXPECT_EQ(g.alignment(), alignment);
    EXPECT_EQ(g.data_offset(), b.layout().data_start);
    ASSERT_EQ(g.tensors().size(), 3u);
    const TensorView* t = g.find_tensor("q");
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->type, DType::kQ4_1);
    EXPECT_EQ(t->num_dims, 2);
    EXPECT_EQ(t->shape[0], 64);
    EXPECT_EQ(t->shape[1], 5);
    EXPECT_EQ(t->num_rows(), 5);
    EXPECT_EQ(t->size_bytes, q.size());
    EXPECT_EQ(std::vector<uint8_t>(t->data, t->data + t->size_bytes), q);
    EXPECT_EQ((t->data - bytes.data()) % alignment, 0);
    EXPECT_EQ(t->row(1), t->data + 40);
    const TensorView* w_view = g.find_tensor("w");
    ASSERT_NE(w_view, nullptr);
    EXPECT_EQ(std::vector<uint8_t>(w_view->data, w_view->data + w_view->size_bytes), w);
    EXPECT_EQ(g.find_tensor("h")->size_bytes, h.size());
    EXPECT_EQ(g.find_tensor("nope"), nullptr);
    EXPECT_EQ(g.tensors()[0].name, "w");
  }
}

TEST(GgufTest, EmptyFileWithNoTensorsOrKeysIsValid) {
  GgufBuilder b(3);
  std::vector<uint8_t> bytes = b.build();
  auto f = GgufFile::parse(bytes);
  ASSERT_TRUE(f.is_ok()) << f.status().to_string();
  EXPECT_TRUE((*f)->tensors().empty());
  EXPECT_TRUE((*f)->keys().empty());
}

TEST(GgufTest, OpenMissingFileIsNotFoundWithPath) {
  auto f = GgufFile::open("/nonexistent/dir/model.gguf");
  ASSERT_FALSE(f.is_ok());
  EXPECT_EQ(f.status().code(), StatusCode::kNotFound);
  EXPECT_NE(f.status().message().find("/nonexistent/dir/model.gguf"), std::string::npos);
}

TEST(GgufTest, OpenReadsFromDiskAndNamesPathInErrors) {
  GgufBuilder b = all_types_builder(3);
  b.add_tensor("x", 0, {4}, random_bytes(16, 9));
  std::vector<uint8_t> bytes = b.build();
  const std::string path = ::testing::TempDir() + "/gguf_open_test.gguf";
  {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
  auto f = GgufFile::open(path);
  ASSERT_TRUE(f.is_ok()) << f.status().to_string();
  EXPECT_EQ((*f)->path(), path);
  EXPECT_EQ(*(*f)->get_int("t.i16"), -30000);
  EXPECT_EQ(std::vector<uint8_t>((*f)->tensors()[0].data, (*f)->tensors()[0].data + 16),
            std::vector<uint8_t>(bytes.end() - 16, bytes.end()));
  std::filesystem::resize_file(path, bytes.size() - 1);
  auto bad = GgufFile::open(path);
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(bad.status().message().find(path), std::string::npos);
  std::filesystem::remove(path);
  EXPECT_EQ(GgufFile::open(::testing::TempDir()).status().code(), StatusCode::kInvalidArgument);
}

// The real model: SmolLM2-135M-Instruct Q4_1 (llama architecture).
TEST(GgufTest, RealModelMetadataAndTensorTable) {
  const std::string path = std::string(ASC_SOURCE_DIR) + "/models/SmolLM2-135M-Instruct.Q4_1.gguf";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "model file absent: " << path;
  auto f = GgufFile::open(path);
  ASSERT_TRUE(f.is_ok()) << f.status().to_string();
  const GgufFile& g = **f;
  EXPECT_EQ(g.version(), 3u);
  EXPECT_EQ(*g.get_string("general.architecture"), "llama");
  EXPECT_EQ(*g.get_int("llama.embedding_length"), 576);
  EXPECT_EQ(*g.get_int("llama.block_count"), 30);
  EXPECT_EQ(*g.get_int("llama.attention.head_count"), 9);
  EXPECT_EQ(*g.get_int("llama.attention.head_count_kv"), 3);
  EXPECT_EQ(*g.get_int("llama.feed_forward_length"), 1536);
  EXPECT_NEAR(*g.get_float("llama.attention.layer_norm_rms_epsilon"), 1e-5, 1e-9);
  EXPECT_DOUBLE_EQ(*g.get_float("llama.rope.freq_base"), 100000.0);
  auto tokens = g.get_string_array("tokenizer.ggml.tokens");
  ASSERT_TRUE(tokens.is_ok());
  EXPECT_EQ(tokens->size(), 49152u);
  EXPECT_EQ((*tokens)[1], "<|im_start|>");
  EXPECT_EQ(g.get_int_array("tokenizer.ggml.token_type")->size(), 49152u);
  EXPECT_EQ(g.get_string_array("tokenizer.ggml.merges")->size(), 48900u);
  EXPECT_EQ(*g.get_int("tokenizer.ggml.eos_token_id"), 2);
  EXPECT_NE(g.get_string("tokenizer.chat_template")->find("<|im_start|>"), std::string::npos);
  ASSERT_EQ(g.tensors().size(), 272u);  // 30 layers x 9 + token_embd + output_norm
  const TensorView* emb = g.find_tensor("token_embd.weight");
  ASSERT_NE(emb, nullptr);
  EXPECT_EQ(emb->type, DType::kQ8_0);
  EXPECT_EQ(emb->shape[0], 576);
  EXPECT_EQ(emb->shape[1], 49152);
  const TensorView* q = g.find_tensor("blk.29.attn_q.weight");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->type, DType::kQ4_1);
  EXPECT_EQ(g.find_tensor("blk.0.ffn_down.weight")->shape[0], 1536);
  EXPECT_EQ(g.find_tensor("blk.0.attn_k.weight")->shape[1], 192);
  // The tensors tile the data section: the highest one ends exactly at the end of the file.
  size_t end = 0;
  for (const TensorView& t : g.tensors()) {
    end = std::max(end, static_cast<size_t>(t.data - g.bytes().data()) + t.size_bytes);
  }
  EXPECT_EQ(end, g.bytes().size());
  // RMSNorm weights are F32 and finite and positive-ish; check the view reads real values.
  const TensorView* norm = g.find_tensor("output_norm.weight");
  ASSERT_NE(norm, nullptr);
  const auto* vals = reinterpret_cast<const float*>(norm->data);
  for (int i = 0; i < 576; ++i) ASSERT_TRUE(std::isfinite(vals[i]));
}

}  // namespace
}  // namespace asc
