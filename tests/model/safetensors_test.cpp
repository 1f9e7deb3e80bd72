// Safetensors reader: valid files (dtypes, shape order, metadata) and a corruption matrix.
#include "engine/model/safetensors.h"

#include <gtest/gtest.h>

#include <random>

#include "tests/model/safetensors_test_writer.h"

namespace asc {
namespace {

using testing::SafetensorsWriter;

std::vector<float> random_floats(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-2.0f, 2.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

std::vector<uint8_t> random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

SafetensorsWriter sample_writer() {
  SafetensorsWriter w;
  w.add_f32("model.layers.0.self_attn.q_proj.weight", {6, 4}, random_floats(24, 1));
  w.add("model.norm.weight", "BF16", {4}, random_bytes(8, 2));
  w.add("lm_head.weight", "F16", {3, 2, 4}, random_bytes(48, 3));
  return w;
}

Status parse_status(const std::vector<uint8_t>& bytes) {
  auto f = SafetensorsFile::parse(bytes);
  return f.is_ok() ? Status::ok() : f.status();
}

TEST(SafetensorsTest, ParsesTensorsWithReversedShapes) {
  SafetensorsWriter w = sample_writer();
  std::vector<uint8_t> bytes = w.build();
  auto f = SafetensorsFile::parse(bytes);
  ASSERT_TRUE(f.is_ok()) << f.status().to_string();
  ASSERT_EQ((*f)->tensors().size(), 3u);
  const TensorView* q = (*f)->find_tensor("model.layers.0.self_attn.q_proj.weight");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->type, DType::kF32);
  EXPECT_EQ(q->num_dims, 2);
  EXPECT_EQ(q->shape[0], 4);  // HF [out=6, in=4] -> {in, out}
  EXPECT_EQ(q->shape[1], 6);
  EXPECT_EQ(q->size_bytes, 96u);
  std::vector<float> expect = random_floats(24, 1);
  // Row r of the view is HF row r (output feature r).
  const auto* row2 = reinterpret_cast<const float*>(q->row(2));
  for (int i = 0; i < 4; ++i) EXPECT_EQ(row2[i], expect[8 + i]);
  const TensorView* head = (*f)->find_tensor("lm_head.weight");
  ASSERT_NE(head, nullptr);
  EXPECT_EQ(head->type, DType::kF16);
  EXPECT_EQ(head->num_dims, 3);
  EXPECT_EQ(head->shape[0], 4);
  EXPECT_EQ(head->shape[1], 2);
  EXPECT_EQ(head->shape[2], 3);
  EXPECT_EQ(std::vector<uint8_t>(head->data, head->data + 48), random_bytes(48, 3));
  EXPECT_EQ((*f)->find_tensor("model.norm.weight")->type, DType::kBF16);
  EXPECT_EQ((*f)->find_tensor("absent"), nullptr);
  EXPECT_EQ((*f)->metadata().at("format"), "pt");
}

TEST(SafetensorsTest, UnsupportedDtypeIsNamed) {
  SafetensorsWriter w;
  w.add("ids", "I64", {2}, random_bytes(16, 4));
  Status s = parse_status(w.build());
  EXPECT_EQ(s.code(), StatusCode::kUnimplemented);
  EXPECT_NE(s.message().find("'ids'"), std::string::npos) << s.to_string();
  EXPECT_NE(s.message().find("I64"), std::string::npos) << s.to_string();
}

TEST(SafetensorsTest, EveryTruncationFails) {
  const std::vector<uint8_t> full = sample_writer().build();
  for (size_t len = 0; len < full.size(); ++len) {
    std::vector<uint8_t> cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(len));
    Status s = parse_status(cut);
    ASSERT_EQ(s.code(), StatusCode::kDataLoss) << len << ": " << s.to_string();
  }
}

TEST(SafetensorsTest, CorruptHeadersAreClearErrors) {
  SafetensorsWriter w = sample_writer();
  std::vector<uint8_t> bytes = w.build();
  std::vector<uint8_t> bad = bytes;
  const uint64_t huge = ~uint64_t{0};
  std::memcpy(bad.data(), &huge, 8);
  EXPECT_EQ(parse_status(bad).code(), StatusCode::kDataLoss);
  bad = bytes;
  bad[8] = 'x';  // JSON no longer parses
  EXPECT_EQ(parse_status(bad).code(), StatusCode::kDataLoss);
  EXPECT_EQ(parse_status(w.build_with_header("[1, 2]")).code(), StatusCode::kDataLoss);

  auto tampered = [&](auto edit) {
    nlohmann::json h = w.header();
    edit(h["model.layers.0.self_attn.q_proj.weight"]);
    return parse_status(w.build_with_header(h.dump()));
  };
  using J = nlohmann::json;
  EXPECT_EQ(tampered([](J& t) { t["data_offsets"] = {0, 100000}; }).code(), StatusCode::kDataLoss);
  EXPECT_EQ(tampered([](J& t) { t["data_offsets"] = {50, 10}; }).code(), StatusCode::kDataLoss);
  EXPECT_EQ(tampered([](J& t) { t["data_offsets"] = {0, 95}; }).code(), StatusCode::kDataLoss);
  EXPECT_EQ(tampered([](J& t) { t["data_offsets"] = {0}; }).code(), StatusCode::kDataLoss);
  EXPECT_EQ(tampered([](J& t) { t["data_offsets"] = {-1, 95}; }).code(), StatusCode::kDataLoss);
  EXPECT_EQ(tampered([](J& t) { t["shape"] = {6, -4}; }).code(), StatusCode::kDataLoss);
  EXPECT_EQ(tampered([](J& t) { t["shape"] = "6x4"; }).code(), StatusCode::kDataLoss);
  EXPECT_EQ(tampered([](J& t) { t["shape"] = {1, 1, 2, 3, 4}; }).code(), StatusCode::kUnimplemented);
  EXPECT_EQ(tampered([](J& t) { t["shape"] = {uint64_t{1} << 40, uint64_t{1} << 40}; }).code(),
            StatusCode::kDataLoss);
  EXPECT_EQ(tampered([](J& t) { t.erase("dtype"); }).code(), StatusCode::kDataLoss);
  EXPECT_EQ(tampered([](J& t) { t = 5; }).code(), StatusCode::kDataLoss);
  // Overlap: point the norm at the q_proj bytes (same size needed: make it 24 BF16 = 48 bytes).
  nlohmann::json h = w.header();
  h["model.norm.weight"]["shape"] = {48};
  h["model.norm.weight"]["data_offsets"] = {0, 96};
  Status overlap = parse_status(w.build_with_header(h.dump()));
  EXPECT_EQ(overlap.code(), StatusCode::kDataLoss);
  EXPECT_NE(overlap.message().find("overlap"), std::string::npos) << overlap.to_string();
}

TEST(SafetensorsTest, RandomByteFlipsNeverCrash) {
  const std::vector<uint8_t> base = sample_writer().build();
  std::mt19937 rng(99);
  for (int iter = 0; iter < 5000; ++iter) {
    std::vector<uint8_t> bytes = base;
    bytes[rng() % bytes.size()] = static_cast<uint8_t>(rng());
    auto f = SafetensorsFile::parse(bytes);
    if (!f.is_ok()) continue;
    for (const TensorView& t : (*f)->tensors()) {
      ASSERT_GE(t.data, bytes.data());
      ASSERT_LE(t.data + t.size_bytes, bytes.data() + bytes.size());
    }
  }
}

TEST(SafetensorsTest, OpenMissingFileIsNotFound) {
  auto f = SafetensorsFile::open("/nonexistent/model.safetensors");
  EXPECT_EQ(f.status().code(), StatusCode::kNotFound);
  EXPECT_NE(f.status().message().find("/nonexistent/model.safetensors"), std::string::npos);
}

}  // namespace
}  // namespace asc
