// Paged attention over block tables: the attention layer of every row of a step in one call.
//
// Each row is a run of tokens of one sequence at positions start_pos .. start_pos+num_tokens-1.
// write_kv() stores the row's K/V (f16) into its blocks; run() then computes causal grouped-query
// attention of every query token over positions [0, its own position], reading K/V through the
// row's block table. Work items are (row, query token, KV head) -- the query heads of one group
// share each K/V load -- handed out longest first from an atomic counter, so triangular prefill rows
// and short decode rows balance across threads.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "engine/core/status.h"
#include "engine/cpu/attention_kernels.h"
#include "engine/cpu/kernel_table.h"
#include "engine/cpu/kv_storage.h"
#include "engine/cpu/thread_pool.h"

namespace asc::cpu {

/// One row of a step as attention sees it.
struct AttentionRow {
  int32_t start_pos = 0;                  // position of the row's first token
  int32_t num_tokens = 0;                 // >= 1
  int32_t first_token = 0;                // index of the row's first token in the step's activations
  std::span<const int32_t> block_table;   // blocks covering [0, start_pos + num_tokens)
};

/// OK when every row's block table covers its positions with valid block ids and the rows'
/// tokens are consecutive in the activation matrix; else a Status naming the problem.
Status check_attention_rows(const KvStorage& kv, std::span<const AttentionRow> rows);

class PagedAttention {
 public:
  /// num_heads query heads over the storage's KV heads (num_heads % num_kv_heads == 0). The
  /// attention kernel follows the table's ISA; its f16 row conversion stores K/V.
  PagedAttention(const KernelTable& table, int32_t num_heads, const KvGeometry& geometry);

  /// Plans the work items of a step's rows; valid until the next prepare(). Rows must have passed
  /// check_attention_rows.
  void prepare(std::span<const AttentionRow> rows);

  /// Writes K and V of the prepared rows' tokens for one layer.
  /// k, v: [total_tokens, num_kv_heads * head_dim] f32.
  void write_kv(ThreadPool& pool, KvStorage& kv, int32_t layer, const float* k, const float* v) const;

  /// Attention of all prepared rows for one layer, after write_kv of that layer.
  /// q, out: [total_tokens, num_heads * head_dim] f32.
  void run(ThreadPool& pool, const KvStorage& kv, int32_t layer, const float* q, float* out) const;

  /// The inner kernel in use (scalar, AVX2 or AVX-512).
  AttendFn kernel() const { return attend_; }

 private:
  /// A query token of a row: attends positions [0, num_positions).
  struct Query {
    int32_t row;
    int32_t token;          // index into the activation matrix
    int32_t num_positions;
  };

  AttendFn attend_;
  void (*to_f16_)(const float* src, uint16_t* dst, int64_t n);
  int32_t num_heads_;
  KvGeometry geometry_;
  std::vector<AttentionRow> rows_;     // [num_rows] copy of the prepared rows
  std::vector<Query> queries_;         // [total_tokens] sorted longest first
};

}  // namespace asc::cpu
