// Backend: the one interface behind which CPU, CUDA and simulated execution live.
//
// Device memory (weights, KV storage) belongs to the backend; which KV blocks belong to which
// sequence is decided by the core (KV block bookkeeping) and passed in each StepRow's block_table.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/core/status.h"
#include "engine/core/step.h"

namespace asc {

class Backend {
 public:
  virtual ~Backend() = default;

  /// Runs one iteration. A failed step (e.g. a device error) returns a Status; the instance then
  /// fails the rows' requests and carries on.
  virtual StatusOr<StepResult> execute(const StepPlan& plan) = 0;

  /// Number of KV blocks of kKvBlockSize positions this backend holds storage for.
  virtual int32_t num_kv_blocks() const = 0;

  /// Short name for logs and /metrics ("cpu", "cuda:0", "sim").
  virtual std::string name() const = 0;

  /// Bytes of one KV block (all layers, K and V); 0 when the backend keeps no real KV (simulated).
  virtual size_t kv_block_bytes() const = 0;

  /// Activation rows one pass over the weights serves in its matmuls (the row tile; see
  /// ModelShape::weight_tile_rows); 0 when the backend has no such step cost.
  virtual int32_t weight_tile_rows() const { return 0; }

  /// Copies the contents of the given blocks out, in order, [blocks.size() * kv_block_bytes()].
  /// Used to migrate a started request between instances with its KV cache.
  virtual Status export_kv_blocks(std::span<const int32_t> blocks, std::vector<uint8_t>& out) = 0;

  /// Writes block contents produced by export_kv_blocks of a backend of the same model.
  virtual Status import_kv_blocks(std::span<const int32_t> blocks, std::span<const uint8_t> data) = 0;
};

}  // namespace asc
