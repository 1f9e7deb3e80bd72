#include "cuda/cuda_backend.h"

#include <chrono>
#include <cstring>

#include "cuda/cuda_check.h"

namespace asc::cuda {

static_assert(kDeviceKvBlockSize == kKvBlockSize, "device and core KV block sizes differ");

StatusOr<std::unique_ptr<CudaBackend>> CudaBackend::create(const Model& model, const CudaBackendOptions& options,
                                                           std::shared_ptr<const CudaWeights> shared) {
  const int count = visible_device_count();
  if (options.device < 0 || options.device >= count) {
    return unavailable("CUDA device " + std::to_string(options.device) + " does not exist (" +
                       std::to_string(count) + " visible)");
  }
  DeviceGuard guard(options.device);
  ASC_RETURN_IF_ERROR(guard.status());
  std::unique_ptr<CudaBackend> b(new CudaBackend());
  b->device_ = options.device;
  if (shared != nullptr && shared->device() == options.device) {
    b->weights_ = std::move(shared);
  } else {
    StatusOr<std::unique_ptr<CudaWeights>> w = CudaWeights::upload(model, options.device, options.keep_f16_weights);
    if (!w.is_ok()) return w.status();
    b->weights_ = std::shared_ptr<const CudaWeights>(std::move(*w));
  }
  StatusOr<Stream> stream = Stream::create(options.high_priority);
  if (!stream.is_ok()) return stream.status();
  b->stream_ = std::move(*stream);
  b->ctx_ = LaunchContext{b->stream_.get(), sync_requested_by_env()};
  const ModelSpec& spec = model.spec();
  b->kv_ = DeviceKv{nullptr, 0, spec.num_layers, spec.num_kv_heads, spec.head_dim};
  b->block_bytes_ = 2ull * spec.num_layers * spec.num_kv_heads * kKvBlockSize * spec.head_dim * sizeof(__half);
  const auto num_blocks = static_cast<int32_t>(std::max<size_t>(1, options.kv_cache_bytes / b->block_bytes_));
  StatusOr<DeviceBuffer> kv = DeviceBuffer::allocate(static_cast<size_t>(num_blocks) * b->block_bytes_);
  if (!kv.is_ok()) return kv.status();
  b->kv_buffer_ = std::move(*kv);
  b->kv_.data = b->kv_buffer_.as<__half>();
  b->kv_.num_blocks = num_blocks;
  StatusOr<std::unique_ptr<CudaForward>> forward = CudaForward::create(spec, b->weights_, b->ctx_);
  if (!forward.is_ok()) return forward.status();
  b->forward_ = std::move(*forward);
  return b;
}

CudaBackend::~CudaBackend() {
  if (stream_.get() != nullptr) {
    DeviceGuard guard(device_);
    (void)cudaStreamSynchronize(stream_.get());  // no kernel may outlive the buffers it uses
  }
}

Status CudaBackend::upload_ids(std::span<const int32_t> ids) {
  const size_t bytes = ids.size() * sizeof(int32_t);
  ASC_RETURN_IF_ERROR(ensure_capacity(ids_, bytes));
  ASC_RETURN_IF_ERROR(ensure_capacity(pinned_, bytes));
  ASC_CUDA_TRY(cudaStreamSynchronize(ctx_.stream));  // pinned_ may still feed an earlier copy
  std::memcpy(pinned_.data(), ids.data(), bytes);
  ASC_CUDA_TRY(cudaMemcpyAsync(ids_.data(), pinned_.data(), bytes, cudaMemcpyHostToDevice, ctx_.stream));
  return Status::ok();
}

Status CudaBackend::run_block_copies(std::span<const BlockCopy> copies) {
  if (copies.empty()) return Status::ok();
  std::vector<int32_t> pairs;
  for (const BlockCopy& c : copies) {
    if (c.src_block < 0 || c.src_block >= kv_.num_blocks || c.dst_block < 0 || c.dst_block >= kv_.num_blocks) {
      return invalid_argument("block copy " + std::to_string(c.src_block) + " -> " + std::to_string(c.dst_block) +
                              " outside [0, " + std::to_string(kv_.num_blocks) + ")");
    }
    pairs.push_back(c.src_block);
    pairs.push_back(c.dst_block);
  }
  ASC_RETURN_IF_ERROR(upload_ids(pairs));
  return launch_copy_blocks(ctx_, kv_buffer_.as<uint8_t>(), block_bytes_, ids_.as<int32_t>(),
                            static_cast<int32_t>(copies.size()));
}

StatusOr<StepResult> CudaBackend::execute(const StepPlan& plan) {
  const auto start = std::chrono::steady_clock::now();
  DeviceGuard guard(device_);
  ASC_RETURN_IF_ERROR(guard.status());
  ASC_RETURN_IF_ERROR(run_block_copies(plan.block_copies));
  StepResult result;
  result.tokens.assign(plan.rows.size(), -1);
  if (!plan.rows.empty()) {
    StatusOr<std::vector<int32_t>> tokens = forward_->forward(kv_, plan.rows);
    if (!tokens.is_ok()) return tokens.status();
    result.tokens = std::move(*tokens);
  } else {
    ASC_CUDA_TRY(cudaStreamSynchronize(ctx_.stream));
  }
  result.duration_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

Status CudaBackend::export_kv_blocks(std::span<const int32_t> blocks, std::vector<uint8_t>& out) {
  out.clear();
  for (int32_t b : blocks) {
    if (b < 0 || b >= kv_.num_blocks) return invalid_argument("export of KV block " + std::to_string(b) + " outside the cache");
  }
  if (blocks.empty()) return Status::ok();
  DeviceGuard guard(device_);
  ASC_RETURN_IF_ERROR(guard.status());
  const size_t bytes = blocks.size() * block_bytes_;
  ASC_RETURN_IF_ERROR(upload_ids(blocks));
  ASC_RETURN_IF_ERROR(ensure_capacity(staging_, bytes));
  ASC_RETURN_IF_ERROR(launch_gather_blocks(ctx_, kv_buffer_.as<uint8_t>(), block_bytes_, ids_.as<int32_t>(),
                                           static_cast<int32_t>(blocks.size()), staging_.as<uint8_t>()));
  ASC_CUDA_TRY(cudaStreamSynchronize(ctx_.stream));  // ids in pinned_ consumed before reuse
  ASC_RETURN_IF_ERROR(ensure_capacity(pinned_, bytes));
  ASC_CUDA_TRY(cudaMemcpyAsync(pinned_.data(), staging_.data(), bytes, cudaMemcpyDeviceToHost, ctx_.stream));
  ASC_CUDA_TRY(cudaStreamSynchronize(ctx_.stream));
  out.assign(pinned_.as<uint8_t>(), pinned_.as<uint8_t>() + bytes);
  return Status::ok();
}

Status CudaBackend::import_kv_blocks(std::span<const int32_t> blocks, std::span<const uint8_t> data) {
  if (data.size() != blocks.size() * block_bytes_) {
    return invalid_argument("import of " + std::to_string(blocks.size()) + " KV blocks got " +
                            std::to_string(data.size()) + " bytes, expected " +
                            std::to_string(blocks.size() * block_bytes_));
  }
  for (int32_t b : blocks) {
    if (b < 0 || b >= kv_.num_blocks) return invalid_argument("import into KV block " + std::to_string(b) + " outside the cache");
  }
  if (blocks.empty()) return Status::ok();
  DeviceGuard guard(device_);
  ASC_RETURN_IF_ERROR(guard.status());
  ASC_RETURN_IF_ERROR(upload_ids(blocks));
  ASC_RETURN_IF_ERROR(ensure_capacity(staging_, data.size()));
  ASC_CUDA_TRY(cudaStreamSynchronize(ctx_.stream));
  PinnedBuffer host;  // separate from pinned_, which holds the ids being copied
  StatusOr<PinnedBuffer> h = PinnedBuffer::allocate(data.size());
  if (!h.is_ok()) return h.status();
  host = std::move(*h);
  std::memcpy(host.data(), data.data(), data.size());
  ASC_CUDA_TRY(cudaMemcpyAsync(staging_.data(), host.data(), data.size(), cudaMemcpyHostToDevice, ctx_.stream));
  ASC_RETURN_IF_ERROR(launch_scatter_blocks(ctx_, kv_buffer_.as<uint8_t>(), block_bytes_, ids_.as<int32_t>(),
                                            static_cast<int32_t>(blocks.size()), staging_.as<uint8_t>()));
  ASC_CUDA_TRY(cudaStreamSynchronize(ctx_.stream));
  return Status::ok();
}

}  // namespace asc::cuda
