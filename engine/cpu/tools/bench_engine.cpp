// bench_engine: throughput of the CPU backend on a model, in the figures llama-bench reports.
//   pp   prompt processing tok/s: one prompt of --prompt-tokens tokens in one step
//   tg1  decode tok/s of one sequence (after a 16-token prompt), --decode-tokens steps
//   tgN  aggregate decode tok/s of --concurrency sequences decoded together, --decode-tokens steps
// Prints one "name value" line per figure (read by scripts/bench-engine.sh). Token ids are
// deterministic pseudo-random; sampling is greedy.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/cpu/backend_factory.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Sequence {
  std::vector<int32_t> tokens;
  std::vector<int32_t> blocks;
};

asc::StepRow row_of(const Sequence& s, int32_t start, int32_t n) {
  asc::StepRow row;
  row.start_pos = start;
  row.num_tokens = n;
  row.tokens = std::span<const int32_t>(s.tokens).subspan(static_cast<size_t>(start), static_cast<size_t>(n));
  row.block_table = s.blocks;
  row.sample = true;
  return row;
}

/// Prefills every sequence's prompt together, then decodes `steps` tokens of all of them together.
/// Returns {prefill seconds, decode seconds}.
std::pair<double, double> run(asc::cpu::CpuBackend& backend, std::vector<Sequence>& seqs, int32_t steps) {
  asc::StepPlan plan;
  for (const Sequence& s : seqs) plan.rows.push_back(row_of(s, 0, static_cast<int32_t>(s.tokens.size())));
  auto t0 = Clock::now();
  auto r = backend.execute(plan);
  if (!r.is_ok()) throw std::runtime_error(r.status().to_string());
  const double prefill = std::chrono::duration<double>(Clock::now() - t0).count();
  t0 = Clock::now();
  for (int32_t step = 0; step < steps; ++step) {
    for (size_t i = 0; i < seqs.size(); ++i) seqs[i].tokens.push_back(r->tokens[i]);
    plan.rows.clear();
    for (const Sequence& s : seqs) plan.rows.push_back(row_of(s, static_cast<int32_t>(s.tokens.size()) - 1, 1));
    r = backend.execute(plan);
    if (!r.is_ok()) throw std::runtime_error(r.status().to_string());
  }
  return {prefill, std::chrono::duration<double>(Clock::now() - t0).count()};
}

std::vector<Sequence> make_sequences(int n, int32_t prompt_len, int32_t total_len, int32_t vocab) {
  std::mt19937 rng(1234);
  std::uniform_int_distribution<int32_t> id(100, vocab - 1);
  const int32_t blocks = (total_len + asc::kKvBlockSize - 1) / asc::kKvBlockSize;
  std::vector<Sequence> seqs(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    for (int32_t t = 0; t < prompt_len; ++t) seqs[i].tokens.push_back(id(rng));
    for (int32_t b = 0; b < blocks; ++b) seqs[i].blocks.push_back(i * blocks + b);
  }
  return seqs;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bench_engine: prompt and decode throughput of the ascendra CPU backend"};
  std::string model_path;
  int threads = 2, concurrency = 16;
  int32_t prompt_tokens = 512, decode_tokens = 32;
  app.add_option("-m,--model", model_path, "GGUF file or HF folder")->required();
  app.add_option("-t,--threads", threads, "Threads");
  app.add_option("-p,--prompt-tokens", prompt_tokens, "Prompt length of the pp figure");
  app.add_option("-n,--decode-tokens", decode_tokens, "Decode steps of the tg figures");
  app.add_option("-c,--concurrency", concurrency, "Sequences decoded together for tgN");
  CLI11_PARSE(app, argc, argv);
  try {
    auto model = asc::load_model(model_path);
    if (!model.is_ok()) throw std::runtime_error(model.status().to_string());
    const int32_t vocab = (*model)->spec().vocab_size;
    const int32_t total = std::max(prompt_tokens, 16 + decode_tokens) + 16;
    const size_t block_bytes = asc::cpu::KvGeometry{(*model)->spec().num_layers, (*model)->spec().num_kv_heads,
                                                    (*model)->spec().head_dim}.block_bytes();
    const size_t kv_bytes = block_bytes * static_cast<size_t>(concurrency) * (total / asc::kKvBlockSize + 1);
    auto backend = asc::cpu::make_cpu_backend(**model, threads, kv_bytes, prompt_tokens);
    if (!backend.is_ok()) throw std::runtime_error(backend.status().to_string());
    std::vector<Sequence> warm = make_sequences(1, 16, total, vocab);
    run(**backend, warm, 1);  // warm-up: page in the weights
    std::vector<Sequence> pp = make_sequences(1, prompt_tokens, total, vocab);
    const double pp_s = run(**backend, pp, 0).first;
    std::vector<Sequence> one = make_sequences(1, 16, total, vocab);
    const double tg1_s = run(**backend, one, decode_tokens).second;
    std::vector<Sequence> many = make_sequences(concurrency, 16, total, vocab);
    const double tgn_s = run(**backend, many, decode_tokens).second;
    std::printf("isa %s\nthreads %d\n", asc::cpu::isa_name((*backend)->isa()), threads);
    std::printf("pp%d_tok_s %.2f\n", prompt_tokens, prompt_tokens / pp_s);
    std::printf("tg1_tok_s %.2f\n", decode_tokens / tg1_s);
    std::printf("tg%d_aggregate_tok_s %.2f\n", concurrency, concurrency * decode_tokens / tgn_s);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_engine: %s\n", e.what());
    return 1;
  }
  return 0;
}
