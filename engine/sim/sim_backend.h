// SimBackend: a Backend whose iterations take the time of a ground-truth function when given
// (the analytic roofline of a built-in GPU profile), else the time the PerfModel predicts. Keeps no KV
// storage (blocks are bookkeeping only) and samples a fixed token that is never EOS.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/core/backend.h"
#include "engine/core/perf_model.h"

namespace asc {

class SimBackend final : public Backend {
 public:
  using TimeFn = std::function<double(const BatchShape&)>;
  /// `model` must outlive the backend. `truth`, when set, gives iteration times instead of it.
  SimBackend(const PerfModel& model, int32_t num_kv_blocks, int32_t token = 0, TimeFn truth = {});

  StatusOr<StepResult> execute(const StepPlan& plan) override;
  int32_t num_kv_blocks() const override { return num_kv_blocks_; }
  std::string name() const override { return "sim"; }
  size_t kv_block_bytes() const override { return 0; }
  /// Migration in simulation moves no bytes: export yields an empty buffer, import accepts it.
  Status export_kv_blocks(std::span<const int32_t> blocks, std::vector<uint8_t>& out) override;
  Status import_kv_blocks(std::span<const int32_t> blocks, std::span<const uint8_t> data) override;

  /// With a ground truth: the model's |predicted - charged| / charged summed over the iterations
  /// executed, and their count (0 without one).
  double model_error_sum() const { return model_error_sum_; }
  int64_t model_error_count() const { return model_error_count_; }

 private:
  const PerfModel& model_;
  int32_t num_kv_blocks_;
  int32_t token_;
  TimeFn truth_;
  double model_error_sum_ = 0.0;
  int64_t model_error_count_ = 0;
};

}  // namespace asc
