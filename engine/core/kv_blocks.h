// BlockPool: bookkeeping of paged-KV block ids (which are free). Storage belongs to the Backend.
//
// Ids are 0..num_blocks-1. A LIFO free list keeps recently freed (cache-warm) blocks in use first
// and makes allocation order deterministic.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "engine/core/status.h"

namespace asc {

class BlockPool {
 public:
  /// A pool of `num_blocks` >= 0 free blocks.
  explicit BlockPool(int32_t num_blocks = 0);

  int32_t num_blocks() const { return num_blocks_; }
  int32_t num_free() const { return static_cast<int32_t>(free_.size()); }
  int32_t num_used() const { return num_blocks_ - num_free(); }
  /// Used fraction in [0, 1] (0 for an empty pool).
  double usage() const;
  bool can_allocate(int32_t n) const { return n <= num_free(); }

  /// Appends n block ids to `out`; all or nothing. kResourceExhausted when fewer than n are free.
  Status allocate(int32_t n, std::vector<int32_t>& out);
  /// Returns blocks to the pool. ASC_CHECKs ids in range and not already free (double free).
  void free(std::span<const int32_t> blocks);
  /// True if `block` is currently free (for tests and invariant checks).
  bool is_free(int32_t block) const;

 private:
  int32_t num_blocks_ = 0;
  std::vector<int32_t> free_;        // [num_free] LIFO stack of free ids
  std::vector<uint8_t> is_free_;     // [num_blocks] 1 if free
};

}  // namespace asc
