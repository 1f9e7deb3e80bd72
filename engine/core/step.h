// The step contract between the decision core and every backend (CPU, CUDA, simulated).
//
// One engine iteration is: plan = policy.schedule(state, now) -> result = backend.execute(plan)
// -> state.apply(result, now). Plan and result are plain values with no tensors: the scheduler never
// knows whether it runs for real. Views (spans) inside a plan point into request state owned by the
// instance and stay valid until the plan's result is applied.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace asc {

using RequestId = uint64_t;

/// Number of token positions per KV block (the paging granularity, fixed across the project).
inline constexpr int kKvBlockSize = 16;

/// How a sequence's next token is chosen. temperature <= 0 means greedy (argmax).
struct SamplingParams {
  float temperature = 0.0f;
  float top_p = 1.0f;   // nucleus mass, 1 = off
  int32_t top_k = 0;    // 0 = off
  float min_p = 0.0f;   // 0 = off
  uint64_t seed = 0;    // with the token index, fully determines the random draw (stateless RNG)
};

/// One row of a batch: a run of consecutive tokens of one sequence, starting at start_pos.
/// A prefill chunk is a row with num_tokens >= 1; a decode is a row with num_tokens == 1.
struct StepRow {
  RequestId request_id = 0;
  int32_t start_pos = 0;                  // position of the first token of this row
  int32_t num_tokens = 0;                 // >= 1
  std::span<const int32_t> tokens;        // [num_tokens] ids; empty when simulated
  std::span<const int32_t> block_table;   // KV block ids covering [0, start_pos + num_tokens)
  bool is_prefill = false;                // the tokens are prompt tokens (else one decode token)
  bool sample = false;                    // choose a token after this row's last token
  int32_t num_generated = 0;              // tokens generated so far: the index of the token drawn
  SamplingParams sampling;
};

/// Copy of one KV block to another inside the same backend (used by preemption/fork, not offload).
struct BlockCopy {
  int32_t src_block = 0;
  int32_t dst_block = 0;
};

/// What one iteration runs. Rows are independent sequences; order is the policy's.
struct StepPlan {
  std::vector<StepRow> rows;
  std::vector<BlockCopy> block_copies;    // done before the forward pass

  bool empty() const { return rows.empty(); }
  int32_t num_tokens() const;
  int32_t num_prefill_tokens() const;
  int32_t num_decode_rows() const;
};

/// What one iteration produced: one entry per plan row, in plan order.
struct StepResult {
  std::vector<int32_t> tokens;            // [rows] sampled id, or -1 for rows with sample == false
  double duration_s = 0.0;                // measured (real backends) or predicted (simulated)
};

}  // namespace asc
