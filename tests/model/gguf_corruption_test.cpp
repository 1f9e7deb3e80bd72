// GGUF reader corruption matrix: truncation at every byte (hence every section boundary), absurd
// counts, lengths and dims, bad offsets, overlap, misalignment, bad magic/version, unsupported types,
// and random byte flips. Every case must return a clear error and never crash or over-read
// (run under ASan/valgrind once by hand: see scripts/fuzz-gguf.sh and the report).
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "engine/model/gguf.h"
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

GgufBuilder valid_builder() {
  GgufBuilder b(3);
  b.add_string("general.architecture", "llama");
  b.add<uint32_t>("llama.block_count", 4, 2);
  b.add<float>("llama.rope.freq_base", 6, 10000.0f);
  b.add_string_array("tokenizer.ggml.tokens", {"<s>", "a", "bc"});
  b.add_array<float>("tokenizer.ggml.scores", 6, {0.f, -1.f, -2.f});
  b.add_tensor("a.weight", 0, {8, 2}, random_bytes(64, 1));
  b.add_tensor("b.weight", 2, {32, 3}, random_bytes(18 * 3, 2));  // Q4_0
  return b;
}

// Writes v at byte offset `at` of the buffer.
template <typename T>
void patch(std::vector<uint8_t>& bytes, size_t at, T v) {
  ASSERT_LE(at + sizeof(T), bytes.size());
  std::memcpy(bytes.data() + at, &v, sizeof(T));
}

Status parse_status(const std::vector<uint8_t>& bytes) {
  auto f = GgufFile::parse(bytes);
  return f.is_ok() ? Status::ok() : f.status();
}

TEST(GgufCorruptionTest, ValidBaseParses) {
  GgufBuilder b = valid_builder();
  EXPECT_TRUE(parse_status(b.build()).is_ok());
}

TEST(GgufCorruptionTest, EveryTruncationIsDataLossWithOffset) {
  GgufBuilder b = valid_builder();
  const std::vector<uint8_t> full = b.build();
  for (size_t len = 0; len < full.size(); ++len) {
    // A fresh heap copy of exactly `len` bytes so ASan catches any over-read.
    std::vector<uint8_t> cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(len));
    Status s = parse_status(cut);
    ASSERT_FALSE(s.is_ok()) << "prefix of " << len << " bytes parsed";
    ASSERT_EQ(s.code(), StatusCode::kDataLoss) << len << ": " << s.to_string();
    EXPECT_NE(s.message().find("offset"), std::string::npos) << s.to_string();
  }
}

TEST(GgufCorruptionTest, BadMagicAndVersions) {
  GgufBuilder b = valid_builder();
  std::vector<uint8_t> bytes = b.build();
  std::vector<uint8_t> bad = bytes;
  bad[0] = 'X';
  EXPECT_EQ(parse_status(bad).code(), StatusCode::kInvalidArgument);
  EXPECT_NE(parse_status(bad).message().find("not a GGUF"), std::string::npos);
  for (uint32_t v : {0u, 1u, 4u, 0x03000000u, 0xffffffffu}) {
    bad = bytes;
    patch(bad, 4, v);
    Status s = parse_status(bad);
    EXPECT_EQ(s.code(), StatusCode::kUnimplemented) << v;
    EXPECT_NE(s.message().find(v == 0x03000000u ? "big-endian" : "version"), std::string::npos)
        << s.to_string();
  }
}

TEST(GgufCorruptionTest, AbsurdCountsAreRejectedBeforeAllocating) {
  GgufBuilder b = valid_builder();
  const std::vector<uint8_t> bytes = b.build();
  for (uint64_t n : {uint64_t{1} << 62, ~uint64_t{0}, uint64_t{1000000}}) {
    std::vector<uint8_t> bad = bytes;
    patch(bad, 8, n);  // tensor count
    EXPECT_EQ(parse_status(bad).code(), StatusCode::kDataLoss);
    bad = bytes;
    patch(bad, 16, n);  // metadata count
    EXPECT_EQ(parse_status(bad).code(), StatusCode::kDataLoss);
  }
}

TEST(GgufCorruptionTest, AbsurdStringArrayAndKeyLengths) {
  GgufBuilder b = valid_builder();
  const std::vector<uint8_t> bytes = b.build();
  const auto& L = b.layout();
  for (uint64_t n : {uint64_t{1} << 63, ~uint64_t{0}, uint64_t{bytes.size()}}) {
    std::vector<uint8_t> bad = bytes;
    patch(bad, L.kv_starts[0], n);  // key length
    EXPECT_EQ(parse_status(bad).code(), StatusCode::kDataLoss);
    bad = bytes;
    // general.architecture value: after key len (8) + key (20) + type (4) comes the string length.
    patch(bad, L.kv_starts[0] + 8 + 20 + 4, n);
    EXPECT_EQ(parse_status(bad).code(), StatusCode::kDataLoss);
    bad = bytes;
    // tokenizer.ggml.tokens: key len 8 + 21 + type 4 + elem type 4, then the count.
    patch(bad, L.kv_starts[3] + 8 + 21 + 4 + 4, n);
    EXPECT_EQ(parse_status(bad).code(), StatusCode::kDataLoss);
    bad = bytes;
    patch(bad, L.tensor_info_starts[0], n);  // tensor name length
    EXPECT_EQ(parse_status(bad).code(), StatusCode::kDataLoss);
  }
}

TEST(GgufCorruptionTest, BadValueTypesAndDuplicates) {
  GgufBuilder b = valid_builder();
  const std::vector<uint8_t> bytes = b.build();
  const auto& L = b.layout();
  std::vector<uint8_t> bad = bytes;
  patch(bad, L.kv_starts[1] + 8 + 17, uint32_t{13});  // llama.block_count's type -> 13
  EXPECT_EQ(parse_status(bad).code(), StatusCode::kDataLoss);
  EXPECT_NE(parse_status(bad).message().find("llama.block_count"), std::string::npos);
  bad = bytes;
  patch(bad, L.kv_starts[3] + 8 + 21 + 4, uint32_t{99});  // array element type
  EXPECT_EQ(parse_status(bad).code(), StatusCode::kDataLoss);

  GgufBuilder dup(3);
  dup.add<uint32_t>("k", 4, 1);
  dup.add<uint32_t>("k", 4, 2);
  EXPECT_NE(parse_status(dup.build()).message().find("duplicate metadata key"), std::string::npos);
  GgufBuilder dup_t(3);
  dup_t.add_tensor("t", 0, {4}, random_bytes(16, 3));
  dup_t.add_tensor("t", 0, {4}, random_bytes(16, 4));
  EXPECT_NE(parse_status(dup_t.build()).message().find("duplicate tensor"), std::string::npos);
}

TEST(GgufCorruptionTest, DeeplyNestedArraysAreRejected) {
  // 1000 levels of [array of 1 array]: must not recurse without bound.
  std::vector<uint8_t> v;
  auto put = [&](auto x) { auto e = GgufBuilder::encode(x); v.insert(v.end(), e.begin(), e.end()); };
  for (int i = 0; i < 1000; ++i) { put(uint32_t{9}); put(uint64_t{1}); }
  put(uint32_t{0}); put(uint64_t{0});
  GgufBuilder b(3);
  b.add_raw("deep", 9, v);
  Status s = parse_status(b.build());
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("nests"), std::string::npos) << s.to_string();
}

TEST(GgufCorruptionTest, BadDimsAndTypes) {
  auto one_tensor = [](uint32_t type, std::vector<uint64_t> dims, size_t data_bytes) {
    GgufBuilder b(3);
    b.add_tensor("blk.0.attn_q.weight", type, std::move(dims), random_bytes(data_bytes, 5));
    return parse_status(b.build());
  };
  EXPECT_TRUE(one_tensor(0, {4, 2}, 32).is_ok());
  Status s = one_tensor(16, {256, 1}, 66);
  EXPECT_EQ(s.code(), StatusCode::kUnimplemented);
  EXPECT_NE(s.message().find("tensor 'blk.0.attn_q.weight' has unsupported type 16 (IQ2_XXS)"),
            std::string::npos) << s.to_string();
  EXPECT_NE(one_tensor(999, {4}, 16).message().find("999 (UNKNOWN)"), std::string::npos);
  EXPECT_EQ(one_tensor(0, {}, 16).code(), StatusCode::kDataLoss);          // 0 dims
  EXPECT_EQ(one_tensor(0, {1, 1, 1, 1, 1}, 4).code(), StatusCode::kDataLoss);  // 5 dims
  EXPECT_EQ(one_tensor(0, {4, 0}, 16).code(), StatusCode::kDataLoss);      // zero dim
  EXPECT_EQ(one_tensor(0, {uint64_t{1} << 40, uint64_t{1} << 40}, 16).code(), StatusCode::kDataLoss);
  EXPECT_EQ(one_tensor(0, {~uint64_t{0}}, 16).code(), StatusCode::kDataLoss);
  Status block = one_tensor(3, {33, 1}, 40);  // Q4_1 row not a multiple of 32
  EXPECT_EQ(block.code(), StatusCode::kDataLoss);
  EXPECT_NE(block.message().find("block"), std::string::npos);
}

TEST(GgufCorruptionTest, OffsetsOutOfRangeUnalignedAndOverlapping) {
  auto with_offsets = [](int64_t off_a, int64_t off_b) {
    GgufBuilder b(3);
    b.add_tensor("a", 0, {8}, random_bytes(32, 6), off_a);
    b.add_tensor("b", 0, {8}, random_bytes(32, 7), off_b);
    return b;
  };
  GgufBuilder ok = with_offsets(0, 32);
  EXPECT_TRUE(parse_status(ok.build()).is_ok());
  GgufBuilder unaligned = with_offsets(0, 40);
  EXPECT_NE(parse_status(unaligned.build()).message().find("not a multiple of the alignment"),
            std::string::npos);
  GgufBuilder overlap = with_offsets(0, 0);
  EXPECT_NE(parse_status(overlap.build()).message().find("overlap"), std::string::npos);
  GgufBuilder overlap2 = with_offsets(64, 32);  // b [32,64) then a [64,96): fine
  EXPECT_TRUE(parse_status(overlap2.build()).is_ok());
  // An offset past the end: patch b's offset after building.
  GgufBuilder far = with_offsets(0, 32);
  std::vector<uint8_t> bytes = far.build();
  const size_t b_offset_at = far.layout().tensor_info_starts[1] + 8 + 1 + 4 + 8 + 4;
  for (uint64_t off : {uint64_t{64}, uint64_t{1} << 40, ~uint64_t{0} - 31}) {
    std::vector<uint8_t> bad = bytes;
    patch(bad, b_offset_at, off);
    Status s = parse_status(bad);
    EXPECT_EQ(s.code(), StatusCode::kDataLoss) << off;
  }
}

TEST(GgufCorruptionTest, BadAlignmentValues) {
  for (uint32_t a : {0u, 3u, 48u, 0x80000000u}) {
    GgufBuilder b(3);
    b.add<uint32_t>("general.alignment", 4, a);
    b.add_tensor("a", 0, {8}, random_bytes(32, 8));
    Status s = parse_status(b.build(32));
    EXPECT_EQ(s.code(), StatusCode::kDataLoss) << a;
    EXPECT_NE(s.message().find("general.alignment"), std::string::npos);
  }
  GgufBuilder wrong_type(3);
  wrong_type.add_string("general.alignment", "32");
  EXPECT_EQ(parse_status(wrong_type.build()).code(), StatusCode::kDataLoss);
}

TEST(GgufCorruptionTest, RandomByteFlipsNeverCrash) {
  GgufBuilder b = valid_builder();
  const std::vector<uint8_t> base = b.build();
  std::mt19937 rng(1234);
  int ok = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::vector<uint8_t> bytes = base;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < flips; ++i) bytes[rng() % bytes.size()] = static_cast<uint8_t>(rng());
    if (rng() % 4 == 0) bytes.resize(rng() % bytes.size());
    auto f = GgufFile::parse(bytes);
    if (!f.is_ok()) {
      EXPECT_FALSE(f.status().message().empty());
      continue;
    }
    ++ok;
    // Every accessor of a parsed file must stay inside the buffer.
    for (const std::string& k : (*f)->keys()) {
      (void)(*f)->get_string(k); (void)(*f)->get_int(k); (void)(*f)->get_float(k);
      (void)(*f)->get_bool(k); (void)(*f)->get_string_array(k); (void)(*f)->get_float_array(k);
      (void)(*f)->get_int_array(k);
    }
    for (const TensorView& t : (*f)->tensors()) {
      ASSERT_GE(t.data, bytes.data());
      ASSERT_LE(t.data + t.size_bytes, bytes.data() + bytes.size());
    }
  }
  EXPECT_GT(ok, 0);  // some flips land in values and still parse
}

}  // namespace
}  // namespace asc
