// KvStorage: sizing from a byte budget, slab addressing, block copy and export/import.
#include "engine/cpu/kv_storage.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <vector>

namespace asc::cpu {
namespace {

const KvGeometry kGeo{3, 2, 8};  // 3 layers, 2 KV heads, head_dim 8

void fill_random(KvStorage& kv, int32_t block, uint32_t seed) {
  std::mt19937 rng(seed);
  for (int32_t l = 0; l < kGeo.num_layers; ++l) {
    for (uint16_t* p : {kv.k(block, l), kv.v(block, l)}) {
      for (size_t i = 0; i < kGeo.slab_elems(); ++i) p[i] = static_cast<uint16_t>(rng());
    }
  }
}

bool same_block(const KvStorage& a, int32_t ba, const KvStorage& b, int32_t bb) {
  for (int32_t l = 0; l < kGeo.num_layers; ++l) {
    for (size_t i = 0; i < kGeo.slab_elems(); ++i) {
      if (a.k(ba, l)[i] != b.k(bb, l)[i] || a.v(ba, l)[i] != b.v(bb, l)[i]) return false;
    }
  }
  return true;
}

TEST(KvStorage, GeometryAndBudget) {
  EXPECT_EQ(kGeo.slab_elems(), 2u * 16 * 8);
  EXPECT_EQ(kGeo.block_bytes(), 2u * 3 * 2 * 16 * 8 * 2);
  KvStorage kv = KvStorage::with_budget(kGeo, kGeo.block_bytes() * 10 + 5);
  EXPECT_EQ(kv.num_blocks(), 10);
  EXPECT_EQ(KvStorage::with_budget(kGeo, 1).num_blocks(), 1);
  // SmolLM2-135M: 30 layers, 3 KV heads, head_dim 64 -> 368,640 bytes per block of 16 positions.
  EXPECT_EQ((KvGeometry{30, 3, 64}.block_bytes()), 368640u);
}

TEST(KvStorage, SlabsAreDisjointAndBlockMajor) {
  KvStorage kv(kGeo, 4);
  std::set<const uint16_t*> starts;
  for (int32_t b = 0; b < 4; ++b) {
    for (int32_t l = 0; l < kGeo.num_layers; ++l) {
      EXPECT_EQ(kv.v(b, l) - kv.k(b, l), static_cast<ptrdiff_t>(kGeo.slab_elems()));
      starts.insert(kv.k(b, l));
      starts.insert(kv.v(b, l));
    }
    EXPECT_EQ(reinterpret_cast<const uint8_t*>(kv.k(b, 0)) - reinterpret_cast<const uint8_t*>(kv.k(0, 0)),
              static_cast<ptrdiff_t>(b * kv.block_bytes()));
  }
  EXPECT_EQ(starts.size(), 4u * 3 * 2);
}

TEST(KvStorage, CopyBlock) {
  KvStorage kv(kGeo, 4);
  fill_random(kv, 1, 11);
  fill_random(kv, 3, 12);
  ASSERT_TRUE(kv.copy_block(1, 3).is_ok());
  EXPECT_TRUE(same_block(kv, 1, kv, 3));
  EXPECT_TRUE(kv.copy_block(2, 2).is_ok());
  EXPECT_EQ(kv.copy_block(4, 0).code(), StatusCode::kOutOfRange);
  EXPECT_EQ(kv.copy_block(0, -1).code(), StatusCode::kOutOfRange);
}

TEST(KvStorage, ExportImportMovesBlocksBetweenStorages) {
  KvStorage a(kGeo, 6);
  KvStorage b(kGeo, 5);
  for (int32_t i = 0; i < 6; ++i) fill_random(a, i, 100 + i);
  const std::vector<int32_t> src = {4, 0, 2};
  const std::vector<int32_t> dst = {1, 3, 0};
  std::vector<uint8_t> bytes = {9, 9};  // export appends
  ASSERT_TRUE(a.export_blocks(src, bytes).is_ok());
  ASSERT_EQ(bytes.size(), 2 + 3 * a.block_bytes());
  ASSERT_TRUE(b.import_blocks(dst, std::span<const uint8_t>(bytes).subspan(2)).is_ok());
  for (size_t i = 0; i < src.size(); ++i) EXPECT_TRUE(same_block(a, src[i], b, dst[i])) << i;
}

TEST(KvStorage, ExportImportRejectBadInput) {
  KvStorage a(kGeo, 2);
  std::vector<uint8_t> bytes;
  const std::vector<int32_t> bad = {0, 2};
  EXPECT_EQ(a.export_blocks(bad, bytes).code(), StatusCode::kOutOfRange);
  const std::vector<int32_t> one = {1};
  ASSERT_TRUE(a.export_blocks(one, bytes).is_ok());
  KvStorage other(KvGeometry{3, 2, 16}, 2);  // different geometry: wrong size
  EXPECT_EQ(other.import_blocks(one, bytes).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(a.import_blocks(bad, bytes).code(), StatusCode::kOutOfRange);
}

}  // namespace
}  // namespace asc::cpu
