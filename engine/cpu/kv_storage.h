// KvStorage: the KV cache memory of one CPU backend instance.
//
// Storage is paged in blocks of kKvBlockSize positions (engine/core/step.h). Which blocks belong to
// which sequence is decided by the core and arrives in each StepRow's block_table; this class only
// owns the bytes. Values are stored as IEEE f16 (uint16_t bits) to halve memory traffic.
//
// Layout, block-major so that one block (all layers, K and V) is one contiguous byte range that can
// be exported, imported or copied with a single memcpy:
//   data_ [num_blocks][num_layers][2 (K, V)][num_kv_heads][kKvBlockSize][head_dim]   (f16)
// Inside a block, one KV head's positions are contiguous ([kKvBlockSize][head_dim]), which is what
// the attention kernel streams through.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "engine/core/status.h"
#include "engine/core/step.h"

namespace asc::cpu {

/// Geometry of the KV cache of one model: what a block holds.
struct KvGeometry {
  int32_t num_layers = 0;
  int32_t num_kv_heads = 0;
  int32_t head_dim = 0;

  /// f16 elements of one (layer, K or V) slab of a block: [num_kv_heads][kKvBlockSize][head_dim].
  size_t slab_elems() const {
    return static_cast<size_t>(num_kv_heads) * kKvBlockSize * static_cast<size_t>(head_dim);
  }
  /// Bytes of one whole block (all layers, K and V).
  size_t block_bytes() const { return 2 * static_cast<size_t>(num_layers) * slab_elems() * 2; }
};

class KvStorage {
 public:
  /// Allocates num_blocks blocks (contents unspecified until written). num_blocks >= 1.
  KvStorage(const KvGeometry& geometry, int32_t num_blocks);
  /// As many blocks as fit in budget_bytes (at least one).
  static KvStorage with_budget(const KvGeometry& geometry, size_t budget_bytes);

  KvStorage(KvStorage&&) = default;
  KvStorage& operator=(KvStorage&&) = default;
  KvStorage(const KvStorage&) = delete;
  KvStorage& operator=(const KvStorage&) = delete;

  const KvGeometry& geometry() const { return geometry_; }
  int32_t num_blocks() const { return num_blocks_; }
  size_t block_bytes() const { return geometry_.block_bytes(); }

  /// K slab of (block, layer): [num_kv_heads][kKvBlockSize][head_dim] f16. block must be valid.
  uint16_t* k(int32_t block, int32_t layer) { return slab(block, layer, 0); }
  const uint16_t* k(int32_t block, int32_t layer) const { return slab(block, layer, 0); }
  /// V slab of (block, layer), same shape as k().
  uint16_t* v(int32_t block, int32_t layer) { return slab(block, layer, 1); }
  const uint16_t* v(int32_t block, int32_t layer) const { return slab(block, layer, 1); }

  /// True when every id is in [0, num_blocks).
  bool valid_blocks(std::span<const int32_t> blocks) const;

  /// Copies block src to block dst (both valid; src == dst is a no-op).
  Status copy_block(int32_t src, int32_t dst);

  /// Appends the bytes of the given blocks, in order, to out: [blocks.size() * block_bytes()].
  Status export_blocks(std::span<const int32_t> blocks, std::vector<uint8_t>& out) const;

  /// Overwrites the given blocks with data from export_blocks of a storage of the same geometry.
  Status import_blocks(std::span<const int32_t> blocks, std::span<const uint8_t> data);

 private:
  uint16_t* slab(int32_t block, int32_t layer, int kv) const;

  KvGeometry geometry_;
  int32_t num_blocks_ = 0;
  std::unique_ptr<uint16_t[]> data_;  // [num_blocks][num_layers][2][num_kv_heads][kKvBlockSize][head_dim]
};

}  // namespace asc::cpu
