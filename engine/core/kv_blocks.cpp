#include "engine/core/kv_blocks.h"

#include <string>

namespace asc {

BlockPool::BlockPool(int32_t num_blocks) : num_blocks_(num_blocks < 0 ? 0 : num_blocks) {
  free_.reserve(static_cast<size_t>(num_blocks_));
  // Highest id at the bottom so that allocation hands out 0, 1, 2, ... first.
  for (int32_t b = num_blocks_ - 1; b >= 0; --b) free_.push_back(b);
  is_free_.assign(static_cast<size_t>(num_blocks_), 1);
}

double BlockPool::usage() const {
  if (num_blocks_ == 0) return 0.0;
  return static_cast<double>(num_used()) / static_cast<double>(num_blocks_);
}

Status BlockPool::allocate(int32_t n, std::vector<int32_t>& out) {
  if (n < 0) return invalid_argument("negative block count");
  if (!can_allocate(n)) {
    return resource_exhausted("KV blocks: need " + std::to_string(n) + ", " +
                              std::to_string(num_free()) + " free");
  }
  for (int32_t i = 0; i < n; ++i) {
    int32_t b = free_.back();
    free_.pop_back();
    is_free_[static_cast<size_t>(b)] = 0;
    out.push_back(b);
  }
  return Status::ok();
}

void BlockPool::free(std::span<const int32_t> blocks) {
  for (int32_t b : blocks) {
    ASC_CHECK_MSG(b >= 0 && b < num_blocks_, "block id out of range");
    ASC_CHECK_MSG(is_free_[static_cast<size_t>(b)] == 0, "double free of a KV block");
    is_free_[static_cast<size_t>(b)] = 1;
    free_.push_back(b);
  }
}

bool BlockPool::is_free(int32_t block) const {
  if (block < 0 || block >= num_blocks_) return false;
  return is_free_[static_cast<size_t>(block)] != 0;
}

}  // namespace asc
