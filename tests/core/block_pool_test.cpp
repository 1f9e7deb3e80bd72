#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "engine/core/kv_blocks.h"

namespace asc {
namespace {

TEST(BlockPool, AllocatesAllOrNothingAndTracksUsage) {
  BlockPool pool(10);
  std::vector<int32_t> a;
  ASSERT_TRUE(pool.allocate(4, a).is_ok());
  EXPECT_EQ(a, (std::vector<int32_t>{0, 1, 2, 3}));
  EXPECT_DOUBLE_EQ(pool.usage(), 0.4);
  std::vector<int32_t> b;
  EXPECT_EQ(pool.allocate(7, b).code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(b.empty());
  EXPECT_TRUE(pool.can_allocate(6));
  pool.free(a);
  EXPECT_EQ(pool.num_free(), 10);
}

TEST(BlockPool, RandomAllocFreeNeverHandsOutABlockTwice) {
  BlockPool pool(200);
  std::mt19937 rng(7);
  std::vector<std::vector<int32_t>> owners(20);
  for (int it = 0; it < 5000; ++it) {
    auto& o = owners[rng() % owners.size()];
    if (rng() % 2 && !o.empty()) {
      pool.free(o);
      o.clear();
    } else {
      (void)pool.allocate(static_cast<int32_t>(rng() % 9), o);
    }
    std::set<int32_t> seen;
    size_t total = 0;
    for (const auto& v : owners) {
      total += v.size();
      for (int32_t b : v) {
        EXPECT_FALSE(pool.is_free(b));
        seen.insert(b);
      }
    }
    ASSERT_EQ(seen.size(), total);
    ASSERT_EQ(pool.num_used(), static_cast<int32_t>(total));
  }
}

}  // namespace
}  // namespace asc
