// CudaBackend: the Backend that runs steps on one GPU (engine/core/backend.h).
//
// One CudaBackend per engine instance. Instances on one GPU share its CudaWeights and own
// separate KV partitions (their own cache allocation) and streams; a high-priority instance's
// stream has the device's greatest priority so its kernels are scheduled first. execute() does
// the plan's block copies (a kernel), one forward pass over all rows, and device-side sampling.
// The KV cache has the CPU KvStorage's block layout, so export/import bytes move between any two
// backends of the same model, CPU or GPU.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cuda/cuda_forward.h"
#include "cuda/cuda_weights.h"
#include "cuda/device_memory.h"
#include "engine/core/backend.h"
#include "engine/model/model_loader.h"

namespace asc::cuda {

struct CudaBackendOptions {
  int device = 0;
  bool high_priority = false;            // HP instance: highest stream priority
  size_t kv_cache_bytes = 256ull << 20;  // KV budget of this instance (rounded down to blocks)
  bool keep_f16_weights = true;          // see cuda_weights.h
};

class CudaBackend final : public Backend {
 public:
  /// Uploads the weights (or reuses `shared` when it lives on options.device) and allocates the
  /// KV cache. UNAVAILABLE when the device does not exist.
  static StatusOr<std::unique_ptr<CudaBackend>> create(const Model& model, const CudaBackendOptions& options,
                                                       std::shared_ptr<const CudaWeights> shared = nullptr);
  ~CudaBackend() override;

  StatusOr<StepResult> execute(const StepPlan& plan) override;
  int32_t num_kv_blocks() const override { return kv_.num_blocks; }
  std::string name() const override { return "cuda:" + std::to_string(device_); }
  size_t kv_block_bytes() const override { return block_bytes_; }
  Status export_kv_blocks(std::span<const int32_t> blocks, std::vector<uint8_t>& out) override;
  Status import_kv_blocks(std::span<const int32_t> blocks, std::span<const uint8_t> data) override;

  int device() const { return device_; }
  const std::shared_ptr<const CudaWeights>& weights() const { return weights_; }
  /// Logits of the last execute()'s sampling rows, [num_sampling_rows, vocab] (tests).
  Status last_logits(std::vector<float>& out) const { return forward_->copy_logits(out); }

  /// Device view of the KV cache and the instance's launch context (block transfers, tests).
  const DeviceKv& kv() const { return kv_; }
  const LaunchContext& launch_context() const { return ctx_; }

 private:
  CudaBackend() = default;
  Status run_block_copies(std::span<const BlockCopy> copies);
  /// Uploads block ids (and pairs) to ids_ through pinned memory.
  Status upload_ids(std::span<const int32_t> ids);

  int device_ = 0;
  std::shared_ptr<const CudaWeights> weights_;
  Stream stream_;
  LaunchContext ctx_;
  DeviceBuffer kv_buffer_;   // [num_blocks][num_layers][2][num_kv_heads][kKvBlockSize][head_dim] f16
  DeviceKv kv_;
  size_t block_bytes_ = 0;
  std::unique_ptr<CudaForward> forward_;
  DeviceBuffer ids_;         // block ids of a copy / export / import
  DeviceBuffer staging_;     // [n][block_bytes] gathered blocks
  PinnedBuffer pinned_;      // host side of ids and of exported / imported bytes
};

}  // namespace asc::cuda
