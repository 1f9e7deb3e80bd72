// Matmul throughput for the default model's shapes (SmolLM2-135M: hidden 576, FFN 1536, vocab
// 49152) at m = 1 (decode), 16 and 512 (prefill), per weight type, ISA and thread count.
// Counters: GFLOP/s (2 m n k per call) and weight GB/s (bytes of W per call).
//
//   build-K/engine/cpu/bench/cpu_kernels_bench --benchmark_filter='Q4_1' --benchmark_min_time=0.2
// ASCENDRA_ISA=avx2|scalar lowers the ISA; the thread count is the last argument of each case.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "engine/cpu/cpu_features.h"
#include "engine/cpu/kernel_table.h"
#include "engine/cpu/matmul.h"
#include "engine/cpu/quant.h"

namespace asc::cpu {
namespace {

struct Weights {
  std::vector<uint8_t> data;  // [n, row_bytes]
  TensorView view;
};

Weights make_weights(DType type, int64_t k, int64_t n) {
  Weights w;
  std::mt19937 rng(1);
  std::normal_distribution<float> dist(0.0f, 0.1f);
  const size_t row_bytes = dtype_row_bytes(type, k);
  w.data.resize(row_bytes * static_cast<size_t>(n));
  std::vector<float> row(static_cast<size_t>(k));
  for (int64_t r = 0; r < n; ++r) {
    for (float& v : row) v = dist(rng);
    quantize_row_ref(type, row.data(), k, w.data.data() + r * row_bytes);
  }
  w.view.name = "w";
  w.view.type = type;
  w.view.num_dims = 2;
  w.view.shape = {k, n, 1, 1};
  w.view.data = w.data.data();
  w.view.size_bytes = w.data.size();
  return w;
}

void bm_matmul(benchmark::State& state, DType type) {
  const int64_t k = state.range(0), n = state.range(1), m = state.range(2);
  const int threads = static_cast<int>(state.range(3));
  const KernelTable& kt = kernel_table(best_isa(detect_cpu_features()));
  const Weights w = make_weights(type, k, n);
  std::vector<float> x(static_cast<size_t>(m * k), 0.5f);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 17) * 0.1f - 0.8f;
  std::vector<float> y(static_cast<size_t>(m * n));
  ThreadPool pool(threads);
  MatmulScratch scratch;
  for (auto _ : state) {
    matmul(pool, kt, w.view, x.data(), m, y.data(), scratch);
    benchmark::DoNotOptimize(y.data());
  }
  const double calls = static_cast<double>(state.iterations());
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * m * n * k * calls * 1e-9, benchmark::Counter::kIsRate);
  state.counters["W_GB/s"] =
      benchmark::Counter(static_cast<double>(w.data.size()) * calls * 1e-9, benchmark::Counter::kIsRate);
  state.SetLabel(std::string(isa_name(kt.isa)) + " " + dtype_name(type));
}

void model_shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"k", "n", "m", "threads"});
  const int64_t shapes[][2] = {{576, 576}, {576, 1536}, {1536, 576}, {576, 49152}};
  for (const auto& s : shapes) {
    for (int64_t m : {1, 16, 512}) {
      if (s[1] == 49152 && m == 512) continue;  // the LM head only runs for the last tokens
      for (int64_t threads : {1, 2}) b->Args({s[0], s[1], m, threads});
    }
  }
  b->Unit(benchmark::kMicrosecond);
}

BENCHMARK_CAPTURE(bm_matmul, Q4_1, DType::kQ4_1)->Apply(model_shapes);
BENCHMARK_CAPTURE(bm_matmul, Q8_0, DType::kQ8_0)->Apply(model_shapes);
BENCHMARK_CAPTURE(bm_matmul, Q4_0, DType::kQ4_0)->Apply(model_shapes);

}  // namespace
}  // namespace asc::cpu

BENCHMARK_MAIN();
