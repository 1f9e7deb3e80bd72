#include "engine/cpu/attention.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <string>


namespace asc::cpu {

Status check_attention_rows(const KvStorage& kv, std::span<const AttentionRow> rows) {
  int32_t next_token = 0;
  for (size_t r = 0; r < rows.size(); ++r) {
    const AttentionRow& row = rows[r];
    const std::string where = "row " + std::to_string(r) + ": ";
    if (row.num_tokens < 1 || row.start_pos < 0) {
      return invalid_argument(where + "needs num_tokens >= 1 and start_pos >= 0");
    }
    if (row.first_token != next_token) return invalid_argument(where + "tokens not consecutive");
    next_token += row.num_tokens;
    const int64_t end = static_cast<int64_t>(row.start_pos) + row.num_tokens;
    const int64_t needed = (end + kKvBlockSize - 1) / kKvBlockSize;
    if (static_cast<int64_t>(row.block_table.size()) < needed) {
      return out_of_range(where + "block table of " + std::to_string(row.block_table.size()) +
                          " blocks does not cover " + std::to_string(end) + " positions");
    }
    if (!kv.valid_blocks(row.block_table.first(static_cast<size_t>(needed)))) {
      return out_of_range(where + "block id outside the KV storage");
    }
  }
  return Status::ok();
}

PagedAttention::PagedAttention(const KernelTable& table, int32_t num_heads, const KvGeometry& geometry)
    : attend_(attend_kernel_for(table.isa, geometry.head_dim)),
      to_f16_(table.fp32_to_fp16_row),
      num_heads_(num_heads),
      geometry_(geometry) {
  ASC_CHECK(num_heads > 0 && num_heads % geometry.num_kv_heads == 0);
  ASC_CHECK(num_heads / geometry.num_kv_heads <= kMaxGroupSize);
  ASC_CHECK(geometry.head_dim <= kMaxHeadDim);
}

void PagedAttention::prepare(std::span<const AttentionRow> rows) {
  rows_.assign(rows.begin(), rows.end());
  queries_.clear();
  for (size_t r = 0; r < rows.size(); ++r) {
    for (int32_t i = 0; i < rows[r].num_tokens; ++i) {
      queries_.push_back({static_cast<int32_t>(r), rows[r].first_token + i, rows[r].start_pos + i + 1});
    }
  }
  std::stable_sort(queries_.begin(), queries_.end(),
                   [](const Query& a, const Query& b) { return a.num_positions > b.num_positions; });
}

void PagedAttention::write_kv(ThreadPool& pool, KvStorage& kv, int32_t layer, const float* k,
                              const float* v) const {
  const int32_t hd = geometry_.head_dim;
  const int32_t kv_heads = geometry_.num_kv_heads;
  const int64_t row_elems = static_cast<int64_t>(kv_heads) * hd;
  auto write = [&](int64_t begin, int64_t end, int) {
    for (int64_t i = begin; i < end; ++i) {
      const Query& q = queries_[static_cast<size_t>(i)];
      const int32_t pos = q.num_positions - 1;
      const int32_t block = rows_[static_cast<size_t>(q.row)].block_table[static_cast<size_t>(pos / kKvBlockSize)];
      const int32_t slot = pos % kKvBlockSize;
      uint16_t* kb = kv.k(block, layer);  // [num_kv_heads][kKvBlockSize][head_dim]
      uint16_t* vb = kv.v(block, layer);
      const float* ks = k + q.token * row_elems;  // [num_kv_heads][head_dim]
      const float* vs = v + q.token * row_elems;
      for (int32_t h = 0; h < kv_heads; ++h) {
        const size_t dst = (static_cast<size_t>(h) * kKvBlockSize + slot) * hd;
        to_f16_(ks + h * hd, kb + dst, hd);
        to_f16_(vs + h * hd, vb + dst, hd);
      }
    }
  };
  // A few decode tokens are cheaper to store inline than to wake the pool for.
  const auto n = static_cast<int64_t>(queries_.size());
  if (n < 32) {
    write(0, n, 0);
  } else {
    pool.parallel_for(n, write);
  }
}

void PagedAttention::run(ThreadPool& pool, const KvStorage& kv, int32_t layer, const float* q,
                         float* out) const {
  const int32_t hd = geometry_.head_dim;
  const int32_t kv_heads = geometry_.num_kv_heads;
  const int32_t group = num_heads_ / kv_heads;
  const int64_t row_elems = static_cast<int64_t>(num_heads_) * hd;
  const int64_t num_items = static_cast<int64_t>(queries_.size()) * kv_heads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  std::atomic<int64_t> next{0};
  // One range per thread; items are then claimed dynamically, longest queries first.
  pool.parallel_for(pool.num_threads(), [&](int64_t, int64_t, int) {
    for (int64_t item = next.fetch_add(1); item < num_items; item = next.fetch_add(1)) {
      const Query& query = queries_[static_cast<size_t>(item / kv_heads)];
      const int32_t kv_head = static_cast<int32_t>(item % kv_heads);
      AttentionTask task;
      task.q = q + query.token * row_elems + static_cast<int64_t>(kv_head) * group * hd;
      task.out = out + query.token * row_elems + static_cast<int64_t>(kv_head) * group * hd;
      task.q_stride = hd;
      task.group_size = group;
      task.kv = &kv;
      task.layer = layer;
      task.kv_head = kv_head;
      task.block_table = rows_[static_cast<size_t>(query.row)].block_table;
      task.num_positions = query.num_positions;
      task.scale = scale;
      attend_(task);
    }
  });
}

}  // namespace asc::cpu
