#include "cuda/cuda_weights.h"

#include <string>

#include "cuda/cuda_check.h"
#include "engine/cpu/llama_forward_rope.h"
#include "engine/cpu/quant.h"

namespace asc::cuda {

StatusOr<void*> CudaWeights::copy_in(const void* host, size_t bytes) {
  StatusOr<DeviceBuffer> buf = DeviceBuffer::allocate(bytes);
  if (!buf.is_ok()) return buf.status();
  if (host != nullptr) ASC_CUDA_TRY(cudaMemcpy(buf->data(), host, bytes, cudaMemcpyHostToDevice));
  device_bytes_ += bytes;
  void* ptr = buf->data();
  owned_.push_back(std::move(*buf));
  return ptr;
}

StatusOr<DeviceWeight> CudaWeights::matrix(const TensorView& t, bool want_f16) {
  const int64_t k = t.row_elems();
  const int64_t n = t.num_rows();
  if (!device_supports(t.type, k)) {
    return unimplemented(std::string("tensor ") + t.name + ": type " + dtype_name(t.type) + " with rows of " +
                         std::to_string(k) + " is not supported by the CUDA kernels");
  }
  DeviceWeight w;
  w.q = DeviceMatrix{t.type, k, n, t.row_bytes(), nullptr};
  StatusOr<void*> data = copy_in(t.data, t.row_bytes() * static_cast<size_t>(n));
  if (!data.is_ok()) return data.status();
  w.q.data = static_cast<const uint8_t*>(*data);
  max_matrix_elems_ = std::max(max_matrix_elems_, k * n);
  if (want_f16 && keep_f16_) {
    StatusOr<void*> f16 = copy_in(nullptr, static_cast<size_t>(k * n) * sizeof(__half));
    if (!f16.is_ok()) return f16.status();
    ASC_RETURN_IF_ERROR(launch_dequantize_f16(LaunchContext{nullptr, true}, w.q, static_cast<__half*>(*f16)));
    w.f16 = static_cast<const __half*>(*f16);
  }
  return w;
}

StatusOr<const float*> CudaWeights::small_f32(const TensorView& t) {
  std::vector<float> host(static_cast<size_t>(t.num_elements()));
  cpu::dequantize_row(t.type, t.data, host.data(), t.num_elements());
  StatusOr<void*> d = copy_in(host.data(), host.size() * sizeof(float));
  if (!d.is_ok()) return d.status();
  return static_cast<const float*>(*d);
}

#define ASC_ASSIGN(lhs, expr)              \
  do {                                     \
    auto asc_v_ = (expr);                  \
    if (!asc_v_.is_ok()) return asc_v_.status(); \
    lhs = *asc_v_;                         \
  } while (0)

StatusOr<std::unique_ptr<CudaWeights>> CudaWeights::upload(const Model& model, int device, bool keep_f16) {
  DeviceGuard guard(device);
  ASC_RETURN_IF_ERROR(guard.status());
  std::unique_ptr<CudaWeights> cw(new CudaWeights(device, keep_f16));
  const ModelWeights& w = model.weights();
  ASC_RETURN_IF_ERROR(model.spec().validate());
  ASC_ASSIGN(cw->token_embd, cw->matrix(w.token_embd, false));
  if (w.output.data == w.token_embd.data) {
    cw->output = cw->token_embd;  // tied: one upload, plus the f16 copy the logits GEMM needs
    if (keep_f16) {
      StatusOr<void*> f16 = cw->copy_in(nullptr, static_cast<size_t>(cw->output.q.k * cw->output.q.n) * 2);
      if (!f16.is_ok()) return f16.status();
      ASC_RETURN_IF_ERROR(launch_dequantize_f16(LaunchContext{nullptr, true}, cw->output.q, static_cast<__half*>(*f16)));
      cw->output.f16 = static_cast<const __half*>(*f16);
    }
  } else {
    ASC_ASSIGN(cw->output, cw->matrix(w.output, true));
  }
  ASC_ASSIGN(cw->output_norm, cw->small_f32(w.output_norm));
  for (const LayerWeights& l : w.layers) {
    DeviceLayer d;
    ASC_ASSIGN(d.wq, cw->matrix(l.wq, true));
    ASC_ASSIGN(d.wk, cw->matrix(l.wk, true));
    ASC_ASSIGN(d.wv, cw->matrix(l.wv, true));
    ASC_ASSIGN(d.wo, cw->matrix(l.wo, true));
    ASC_ASSIGN(d.gate, cw->matrix(l.ffn_gate, true));
    ASC_ASSIGN(d.up, cw->matrix(l.ffn_up, true));
    ASC_ASSIGN(d.down, cw->matrix(l.ffn_down, true));
    ASC_ASSIGN(d.attn_norm, cw->small_f32(l.attn_norm));
    ASC_ASSIGN(d.ffn_norm, cw->small_f32(l.ffn_norm));
    if (l.bq) ASC_ASSIGN(d.bq, cw->small_f32(*l.bq));
    if (l.bk) ASC_ASSIGN(d.bk, cw->small_f32(*l.bk));
    if (l.bv) ASC_ASSIGN(d.bv, cw->small_f32(*l.bv));
    cw->layers.push_back(d);
  }
  std::vector<float> factors;
  if (w.rope_freqs) {
    factors.resize(static_cast<size_t>(w.rope_freqs->num_elements()));
    cpu::dequantize_row(w.rope_freqs->type, w.rope_freqs->data, factors.data(), w.rope_freqs->num_elements());
  }
  StatusOr<std::vector<double>> inv_freq = cpu::rope_frequencies(model.spec(), factors);
  if (!inv_freq.is_ok()) return inv_freq.status();
  cw->rope_half = static_cast<int32_t>(inv_freq->size());
  StatusOr<void*> freq = cw->copy_in(inv_freq->data(), inv_freq->size() * sizeof(double));
  if (!freq.is_ok()) return freq.status();
  cw->rope_inv_freq = static_cast<const double*>(*freq);
  ASC_CUDA_TRY(cudaDeviceSynchronize());
  return cw;
}

}  // namespace asc::cuda
