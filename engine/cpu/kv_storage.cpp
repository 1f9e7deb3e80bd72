#include "engine/cpu/kv_storage.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace asc::cpu {

KvStorage::KvStorage(const KvGeometry& geometry, int32_t num_blocks)
    : geometry_(geometry), num_blocks_(num_blocks) {
  ASC_CHECK(num_blocks >= 1);
  ASC_CHECK(geometry.num_layers > 0 && geometry.num_kv_heads > 0 && geometry.head_dim > 0);
  const size_t elems = static_cast<size_t>(num_blocks) * geometry.block_bytes() / 2;
  // Not value-initialised: a 100+ MiB memset at start-up buys nothing, every position is written
  // before attention reads it.
  data_ = std::make_unique_for_overwrite<uint16_t[]>(elems);
}

KvStorage KvStorage::with_budget(const KvGeometry& geometry, size_t budget_bytes) {
  const size_t n = budget_bytes / geometry.block_bytes();
  return KvStorage(geometry, static_cast<int32_t>(std::clamp<size_t>(n, 1, 1u << 30)));
}

uint16_t* KvStorage::slab(int32_t block, int32_t layer, int kv) const {
  ASC_CHECK(block >= 0 && block < num_blocks_);
  ASC_CHECK(layer >= 0 && layer < geometry_.num_layers);
  const size_t slab_index = (static_cast<size_t>(block) * geometry_.num_layers + layer) * 2 + kv;
  return data_.get() + slab_index * geometry_.slab_elems();
}

bool KvStorage::valid_blocks(std::span<const int32_t> blocks) const {
  return std::all_of(blocks.begin(), blocks.end(),
                     [&](int32_t b) { return b >= 0 && b < num_blocks_; });
}

Status KvStorage::copy_block(int32_t src, int32_t dst) {
  if (src < 0 || src >= num_blocks_ || dst < 0 || dst >= num_blocks_) {
    return out_of_range("KV block copy " + std::to_string(src) + " -> " + std::to_string(dst) +
                        " outside [0, " + std::to_string(num_blocks_) + ")");
  }
  if (src != dst) std::memcpy(k(dst, 0), k(src, 0), block_bytes());
  return Status::ok();
}

Status KvStorage::export_blocks(std::span<const int32_t> blocks, std::vector<uint8_t>& out) const {
  if (!valid_blocks(blocks)) return out_of_range("KV block id outside the storage in export");
  const size_t bytes = block_bytes();
  const size_t base = out.size();
  out.resize(base + blocks.size() * bytes);
  for (size_t i = 0; i < blocks.size(); ++i) {
    std::memcpy(out.data() + base + i * bytes, k(blocks[i], 0), bytes);
  }
  return Status::ok();
}

Status KvStorage::import_blocks(std::span<const int32_t> blocks, std::span<const uint8_t> data) {
  if (!valid_blocks(blocks)) return out_of_range("KV block id outside the storage in import");
  const size_t bytes = block_bytes();
  if (data.size() != blocks.size() * bytes) {
    return invalid_argument("KV import of " + std::to_string(data.size()) + " bytes, expected " +
                            std::to_string(blocks.size() * bytes) + " (different model geometry?)");
  }
  for (size_t i = 0; i < blocks.size(); ++i) {
    std::memcpy(k(blocks[i], 0), data.data() + i * bytes, bytes);
  }
  return Status::ok();
}

}  // namespace asc::cpu
