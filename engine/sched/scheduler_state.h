// SchedulerState: what a Policy sees and changes in one schedule() call.
//
// The instance owns the requests; the state holds views of them in two queues (waiting in the
// policy's order, initially arrival order; running in admission order), the block pool and the
// config. Policies change state only through the methods below so that block bookkeeping, plan
// rows and request phases stay consistent; plan rows are built with add_prefill / add_decode, which
// remember which request each row belongs to (the instance resolves token and block spans after
// schedule() returns).
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "engine/core/kv_blocks.h"
#include "engine/core/request.h"
#include "engine/core/step.h"

namespace asc {

class PerfModel;

struct SchedulerConfig {
  int32_t max_seqs = 128;           // running sequences at most
  int32_t max_batch_tokens = 8192;  // tokens in one iteration at most (vllm's prefill batch)
  int32_t chunk_size = 512;         // token budget of chunked-prefill policies (sarathi, ascendra)
  int32_t max_model_len = 0;        // positions per sequence at most; 0 = limited by the pool only
};

class SchedulerState {
 public:
  SchedulerState(BlockPool& blocks, const SchedulerConfig& config, const PerfModel* perf_model);

  const SchedulerConfig& config() const { return config_; }
  BlockPool& blocks() { return blocks_; }
  const BlockPool& blocks() const { return blocks_; }
  /// May be null (policies that need predictions must say so at construction).
  const PerfModel* perf_model() const { return perf_model_; }

  /// Waiting requests (not running): new, preempted (front), returned. Policies may reorder it.
  std::deque<Request*>& waiting() { return waiting_; }
  const std::deque<Request*>& waiting() const { return waiting_; }
  /// Running requests (hold KV blocks or are being prefilled), in admission order.
  std::vector<Request*>& running() { return running_; }
  const std::vector<Request*>& running() const { return running_; }

  /// Blocks `req` still needs so that its block table covers `positions` positions.
  int32_t blocks_needed(const Request& req, int32_t positions) const;
  /// Grows req.block_table to cover `positions`; all or nothing; false when the pool is short.
  bool ensure_blocks(Request& req, int32_t positions);

  /// Moves waiting[index] to the back of running (phase running). Returns the request.
  Request* admit(size_t waiting_index);
  /// Recompute preemption: frees req's blocks, forgets its KV (num_computed = 0), removes it from
  /// running and puts it at the front of waiting. Its generated tokens are kept and recomputed.
  void preempt(Request& req);
  /// Removes a never-started waiting request for another instance (proactive offload). The
  /// instance emits an `offloaded` event after schedule() returns. ASC_CHECKs never_started().
  void offload(Request& req);

  /// Appends a prefill row of n tokens at req.num_computed (one row per request per plan); it
  /// samples when it reaches the end of the known tokens. Blocks must already cover it.
  void add_prefill(StepPlan& plan, Request& req, int32_t n, double now);
  /// Appends the decode row (the last generated token) of a running request.
  void add_decode(StepPlan& plan, Request& req, double now);

  // ---- read by the instance after schedule() ----
  /// Request of each row of the last plan built through add_* (parallel to plan.rows).
  const std::vector<Request*>& row_requests() const { return row_requests_; }
  const std::vector<Request*>& offloaded() const { return offloaded_; }
  const std::vector<Request*>& preempted() const { return preempted_; }
  /// Forgets the per-plan outputs (called by the instance before schedule()).
  void begin_plan();

 private:
  BlockPool& blocks_;
  const SchedulerConfig& config_;
  const PerfModel* perf_model_;
  std::deque<Request*> waiting_;
  std::vector<Request*> running_;
  std::vector<Request*> row_requests_;   // [plan rows]
  std::vector<Request*> offloaded_;
  std::vector<Request*> preempted_;
};

}  // namespace asc
