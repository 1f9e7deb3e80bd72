// bench_cuda: figures of the CUDA backend on the machine it runs on, each against its peer:
// device-to-device copy bandwidth; a large cuBLASLt f16 GEMM's FLOP/s; decode tok/s of one sequence
// vs the bandwidth floor for the weight bytes read per token; prefill of 4096 tokens vs the GEMM
// rate; decode tokens/s at batch 1, 16 and 64; KV block hand-off time per MB.
// Usage: bench_cuda MODEL.gguf
#include <chrono>
#include <cstdio>
#include <numeric>
#include <vector>

#include "cuda/cuda_backend.h"
#include "cuda/gemm_lt.h"

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

#define BENCH_OK(expr)                                                          \
  do {                                                                          \
    const ::asc::Status s_ = (expr);                                            \
    if (!s_.is_ok()) { std::fprintf(stderr, "%s\n", s_.to_string().c_str()); return 1; } \
  } while (0)

/// Decode steps of `batch` sequences with `context` prompt tokens each; returns tokens/s.
double decode_rate(asc::Backend& b, int batch, int context, int steps, int vocab, double* prefill_s) {
  std::vector<std::vector<int32_t>> tokens(batch), blocks(batch);
  const int per_seq = (context + steps + 15) / 16;
  for (int i = 0; i < batch; ++i) {
    for (int t = 0; t < context; ++t) tokens[i].push_back((t * 131 + i * 7) % vocab);
    blocks[i].resize(per_seq);
    std::iota(blocks[i].begin(), blocks[i].end(), i * per_seq);
  }
  auto plan_for = [&](bool prefill) {
    asc::StepPlan plan;
    for (int i = 0; i < batch; ++i) {
      asc::StepRow r;
      r.start_pos = prefill ? 0 : static_cast<int32_t>(tokens[i].size()) - 1;
      r.num_tokens = static_cast<int32_t>(tokens[i].size()) - r.start_pos;
      r.tokens = std::span<const int32_t>(tokens[i]).subspan(static_cast<size_t>(r.start_pos));
      r.block_table = blocks[i];
      r.sample = true;
      plan.rows.push_back(r);
    }
    return plan;
  };
  auto t0 = Clock::now();
  auto r = b.execute(plan_for(true));
  if (!r.is_ok()) { std::fprintf(stderr, "%s\n", r.status().to_string().c_str()); return 0; }
  if (prefill_s != nullptr) *prefill_s = seconds_since(t0);
  for (int i = 0; i < batch; ++i) tokens[i].push_back(r->tokens[i]);
  t0 = Clock::now();
  for (int s = 0; s < steps; ++s) {
    r = b.execute(plan_for(false));
    if (!r.is_ok()) { std::fprintf(stderr, "%s\n", r.status().to_string().c_str()); return 0; }
    for (int i = 0; i < batch; ++i) tokens[i].push_back(r->tokens[i]);
  }
  return batch * steps / seconds_since(t0);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace asc;
  using namespace asc::cuda;
  if (argc < 2) { std::fprintf(stderr, "usage: bench_cuda MODEL.gguf\n"); return 2; }
  if (visible_device_count() == 0) { std::fprintf(stderr, "bench_cuda: no CUDA device\n"); return 1; }
  cudaDeviceProp prop{};
  BENCH_OK(cuda_status(cudaGetDeviceProperties(&prop, 0), "cudaGetDeviceProperties", __FILE__, __LINE__));
  std::printf("device: %s, %d SMs\n", prop.name, prop.multiProcessorCount);
  // 1. Device-to-device copy bandwidth (read + write counted).
  const size_t bytes = 1ull << 30;
  auto a = DeviceBuffer::allocate(bytes), b = DeviceBuffer::allocate(bytes);
  if (!a.is_ok() || !b.is_ok()) { std::fprintf(stderr, "allocation failed\n"); return 1; }
  BENCH_OK(cuda_status(cudaMemcpy(b->data(), a->data(), bytes, cudaMemcpyDeviceToDevice), "warm", __FILE__, __LINE__));
  auto t0 = Clock::now();
  for (int i = 0; i < 10; ++i) (void)cudaMemcpy(b->data(), a->data(), bytes, cudaMemcpyDeviceToDevice);
  BENCH_OK(cuda_status(cudaDeviceSynchronize(), "copy", __FILE__, __LINE__));
  const double bw = 2.0 * 10 * bytes / seconds_since(t0);
  std::printf("d2d copy bandwidth: %.1f GB/s (read+write)\n", bw / 1e9);
  // 2. cuBLASLt GEMM 8192^3 f16 -> f32.
  const int64_t n = 8192;
  auto lt = LtGemm::create();
  if (!lt.is_ok()) { std::fprintf(stderr, "%s\n", lt.status().to_string().c_str()); return 1; }
  auto y = DeviceBuffer::allocate(static_cast<size_t>(n * n) * 4);
  if (!y.is_ok()) return 1;
  BENCH_OK((*lt)->run(nullptr, a->as<__half>(), b->as<__half>(), n, n, n, y->as<float>()));
  BENCH_OK(cuda_status(cudaMemset(a->data(), 0, bytes), "memset", __FILE__, __LINE__));
  BENCH_OK(cuda_status(cudaMemset(b->data(), 0, bytes), "memset", __FILE__, __LINE__));
  t0 = Clock::now();
  for (int i = 0; i < 10; ++i) BENCH_OK((*lt)->run(nullptr, a->as<__half>(), b->as<__half>(), n, n, n, y->as<float>()));
  BENCH_OK(cuda_status(cudaDeviceSynchronize(), "gemm", __FILE__, __LINE__));
  const double flops = 2.0 * n * n * n * 10 / seconds_since(t0);
  std::printf("cuBLASLt f16 GEMM %ldx%ldx%ld: %.1f TFLOP/s\n", n, n, n, flops / 1e12);
  // 3-5. The model: decode, prefill, batches.
  auto model = load_model(argv[1]);
  if (!model.is_ok()) { std::fprintf(stderr, "%s\n", model.status().to_string().c_str()); return 1; }
  CudaBackendOptions o;
  o.kv_cache_bytes = 2ull << 30;
  auto backend = CudaBackend::create(**model, o);
  if (!backend.is_ok()) { std::fprintf(stderr, "%s\n", backend.status().to_string().c_str()); return 1; }
  const ModelSpec& spec = (*model)->spec();
  size_t weight_bytes = 0;
  for (const auto& l : (*model)->weights().layers)
    for (const TensorView* t : {&l.wq, &l.wk, &l.wv, &l.wo, &l.ffn_gate, &l.ffn_up, &l.ffn_down}) weight_bytes += t->size_bytes;
  weight_bytes += (*model)->weights().output.size_bytes;
  const double floor_tps = bw / 2.0 / weight_bytes;  // copy bw counts read+write: reads alone at bw/2
  double prefill_s = 0.0;
  const double tps1 = decode_rate(**backend, 1, 128, 64, spec.vocab_size, nullptr);
  std::printf("decode batch 1: %.1f tok/s; bandwidth floor for %.1f MB of weights per token: %.1f tok/s (%.0f%%)\n",
              tps1, weight_bytes / 1e6, floor_tps, 100.0 * tps1 / floor_tps);
  (void)decode_rate(**backend, 1, 4096, 1, spec.vocab_size, &prefill_s);
  const double prefill_flops = 2.0 * 4096 * (weight_bytes * 1.0 / 0.5625);  // Q4_1: 0.5625 B/weight approx
  std::printf("prefill 4096 tokens: %.3f s = %.0f tok/s; at the GEMM rate the matmuls alone take %.3f s\n",
              prefill_s, 4096 / prefill_s, prefill_flops / flops);
  for (int batch : {1, 16, 64}) {
    std::printf("decode batch %d: %.1f tok/s\n", batch, decode_rate(**backend, batch, 256, 32, spec.vocab_size, nullptr));
  }
  // 6. Block hand-off between two instances (export, import) per MB.
  auto other = CudaBackend::create(**model, o, (*backend)->weights());
  if (!other.is_ok()) return 1;
  std::vector<int32_t> blocks(256);
  std::iota(blocks.begin(), blocks.end(), 0);
  std::vector<uint8_t> payload;
  t0 = Clock::now();
  BENCH_OK((*backend)->export_kv_blocks(blocks, payload));
  BENCH_OK((*other)->import_kv_blocks(blocks, payload));
  const double handoff = seconds_since(t0);
  std::printf("block hand-off (%zu blocks, %.1f MB via host): %.3f ms per MB\n", blocks.size(), payload.size() / 1e6,
              1e3 * handoff / (payload.size() / 1e6));
  return 0;
}
