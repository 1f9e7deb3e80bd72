// CudaWeights: a model's weights on one GPU, uploaded once at load.
//
// Matrices are uploaded in their file type (quantized bytes, read once per decode step by the
// fused GEMV) and, unless disabled, also once as an f16 copy for the cuBLASLt prefill GEMMs.
// Why an f16 copy rather than f16 tiles per call: the prefill GEMM is compute-bound and cuBLASLt
// takes plain f16 operands; dequantizing tiles on every call would add a full pass over the
// weights per step, while the copy costs memory once (2 bytes per weight; 270 MB for SmolLM2-135M).
// With keep_f16 = false (large models on small GPUs) the forward pass dequantizes each matrix into
// one scratch buffer before its GEMM instead. Norms and biases are converted to f32 on the host.
// Instances sharing a GPU share one CudaWeights (backend_select.h).
#pragma once

#include <cuda_fp16.h>

#include <memory>
#include <vector>

#include "cuda/device_memory.h"
#include "cuda/kernels.h"
#include "engine/model/model_loader.h"

namespace asc::cuda {

/// One weight matrix on the device: its stored form and (optionally) an f16 copy [n, k].
struct DeviceWeight {
  DeviceMatrix q;
  const __half* f16 = nullptr;
};

struct DeviceLayer {
  DeviceWeight wq, wk, wv, wo, gate, up, down;
  const float* attn_norm = nullptr;  // [hidden]
  const float* ffn_norm = nullptr;   // [hidden]
  const float* bq = nullptr;         // [q_size] or null
  const float* bk = nullptr;         // [kv_size] or null
  const float* bv = nullptr;         // [kv_size] or null
};

class CudaWeights {
 public:
  /// Uploads every weight of model to `device`. UNIMPLEMENTED for types or shapes the kernels do
  /// not handle; RESOURCE_EXHAUSTED when the GPU is too small.
  static StatusOr<std::unique_ptr<CudaWeights>> upload(const Model& model, int device, bool keep_f16);

  CudaWeights(const CudaWeights&) = delete;
  CudaWeights& operator=(const CudaWeights&) = delete;

  int device() const { return device_; }
  bool has_f16() const { return keep_f16_; }
  size_t device_bytes() const { return device_bytes_; }
  /// Elements of the largest matrix (the f16 scratch size when has_f16() is false).
  int64_t max_matrix_elems() const { return max_matrix_elems_; }

  DeviceWeight token_embd;
  DeviceWeight output;
  const float* output_norm = nullptr;   // [hidden]
  const double* rope_inv_freq = nullptr;  // [rope_half]
  int32_t rope_half = 0;
  std::vector<DeviceLayer> layers;

 private:
  CudaWeights(int device, bool keep_f16) : device_(device), keep_f16_(keep_f16) {}
  StatusOr<DeviceWeight> matrix(const TensorView& t, bool want_f16);
  StatusOr<const float*> small_f32(const TensorView& t);
  StatusOr<void*> copy_in(const void* host, size_t bytes);

  int device_;
  bool keep_f16_;
  size_t device_bytes_ = 0;
  int64_t max_matrix_elems_ = 0;
  std::vector<DeviceBuffer> owned_;   // every allocation above points into one of these
};

}  // namespace asc::cuda
