// `ascendra generate`: one prompt, one sequence, on the CPU backend, printed as it streams.
//
// A small driver, not the engine loop: the prompt is prefilled in chunks of up to 512 tokens, then
// one decode step per token, over KV blocks taken from a BlockPool sized by --ctx-size. Text is
// streamed through the Detokenizer (never splits a UTF-8 character). --json prints one object
// instead: prompt_tokens, tokens, text, prefill_tokens_per_s, decode_tokens_per_s.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "engine/app/commands.h"
#include "engine/core/kv_blocks.h"
#include "engine/cpu/backend_factory.h"
#include "engine/model/chat_template.h"
#include "engine/model/model_loader.h"
#include "engine/model/tokenizer.h"
#include "engine/model/tokenizer_detokenizer.h"

namespace asc::app {

namespace {

constexpr int32_t kPrefillChunk = 512;

struct GenerateOptions {
  std::string model_path;
  std::string prompt;
  bool chat = false;
  int32_t max_tokens = 128;
  SamplingParams sampling;
  int threads = 0;       // 0: all cores
  int32_t ctx_size = 0;  // 0: min(model context, 4096)
  bool json = false;
};

struct Generation {
  std::vector<int32_t> prompt_tokens;
  std::vector<int32_t> tokens;
  std::string text;
  double prefill_s = 0.0;
  double decode_s = 0.0;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

StatusOr<std::vector<int32_t>> encode_prompt(const GenerateOptions& o, const Tokenizer& tok) {
  std::string text = o.prompt;
  if (o.chat) {
    StatusOr<ChatTemplate> tmpl = ChatTemplate::from_template_string(tok.chat_template());
    if (!tmpl.is_ok()) return tmpl.status();
    const std::vector<ChatMessage> messages = {{"user", o.prompt}};
    StatusOr<std::string> rendered = tmpl->render(messages, true);
    if (!rendered.is_ok()) return rendered.status();
    text = *rendered;
  }
  std::vector<int32_t> ids = tok.encode(text, true, true);
  if (ids.empty()) return invalid_argument("the prompt encodes to no tokens");
  return ids;
}

/// Runs one step of a single row and returns its sampled token.
StatusOr<int32_t> run_row(cpu::CpuBackend& backend, const std::vector<int32_t>& seq, int32_t start,
                          int32_t n, const std::vector<int32_t>& blocks, bool sample,
                          const SamplingParams& sampling, int32_t num_generated) {
  StepPlan plan;
  StepRow row;
  row.start_pos = start;
  row.num_tokens = n;
  row.tokens = std::span<const int32_t>(seq).subspan(static_cast<size_t>(start), static_cast<size_t>(n));
  row.block_table = blocks;
  row.is_prefill = num_generated == 0;
  row.sample = sample;
  row.num_generated = num_generated;
  row.sampling = sampling;
  plan.rows.push_back(row);
  StatusOr<StepResult> r = backend.execute(plan);
  if (!r.is_ok()) return r.status();
  return r->tokens[0];
}

/// Prefill then decode; streams text to stdout unless o.json.
Status generate(const GenerateOptions& o, cpu::CpuBackend& backend, const Tokenizer& tok,
                const std::vector<int32_t>& blocks, Generation& g) {
  std::vector<int32_t> seq = g.prompt_tokens;
  const auto prompt_len = static_cast<int32_t>(seq.size());
  auto t0 = std::chrono::steady_clock::now();
  int32_t next = -1;
  for (int32_t start = 0; start < prompt_len; start += kPrefillChunk) {
    const int32_t n = std::min(kPrefillChunk, prompt_len - start);
    StatusOr<int32_t> t = run_row(backend, seq, start, n, blocks, start + n == prompt_len, o.sampling, 0);
    if (!t.is_ok()) return t.status();
    next = *t;
  }
  g.prefill_s = seconds_since(t0);
  t0 = std::chrono::steady_clock::now();
  Detokenizer detok(tok);
  for (int32_t i = 0; i < o.max_tokens; ++i) {
    if (tok.is_eog(next)) break;
    g.tokens.push_back(next);
    seq.push_back(next);
    const std::string piece = detok.push(next);
    g.text += piece;
    if (!o.json) {
      std::fputs(piece.c_str(), stdout);
      std::fflush(stdout);
    }
    if (i + 1 == o.max_tokens) break;
    const auto pos = static_cast<int32_t>(seq.size()) - 1;
    StatusOr<int32_t> t = run_row(backend, seq, pos, 1, blocks, true, o.sampling, i + 1);
    if (!t.is_ok()) return t.status();
    next = *t;
  }
  g.decode_s = seconds_since(t0);
  const std::string tail = detok.flush();
  g.text += tail;
  if (!o.json) std::printf("%s\n", tail.c_str());
  return Status::ok();
}

void print_report(const GenerateOptions& o, const Generation& g) {
  const double prefill_tps = g.prefill_s > 0 ? g.prompt_tokens.size() / g.prefill_s : 0.0;
  // Decode steps: one per generated token after the first (which comes from the prefill).
  const double steps = g.tokens.size() > 1 ? static_cast<double>(g.tokens.size() - 1) : 0.0;
  const double decode_tps = g.decode_s > 0 ? steps / g.decode_s : 0.0;
  if (o.json) {
    nlohmann::json j;
    j["prompt_tokens"] = g.prompt_tokens;
    j["tokens"] = g.tokens;
    j["text"] = g.text;
    j["prefill_tokens_per_s"] = prefill_tps;
    j["decode_tokens_per_s"] = decode_tps;
    std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::fprintf(stderr, "prompt %zu tokens, %.1f tok/s; generated %zu tokens, %.1f tok/s\n",
                 g.prompt_tokens.size(), prefill_tps, g.tokens.size(), decode_tps);
  }
}

Status run_generate(const GenerateOptions& o) {
  StatusOr<std::unique_ptr<Model>> model = load_model(o.model_path);
  if (!model.is_ok()) return model.status();
  StatusOr<std::unique_ptr<Tokenizer>> tok =
      (*model)->gguf() ? Tokenizer::from_gguf(*(*model)->gguf()) : Tokenizer::from_hf_folder(o.model_path);
  if (!tok.is_ok()) return tok.status();
  Generation g;
  StatusOr<std::vector<int32_t>> ids = encode_prompt(o, **tok);
  if (!ids.is_ok()) return ids.status();
  g.prompt_tokens = std::move(*ids);
  const int32_t model_ctx = (*model)->spec().context_length;
  const int32_t ctx = o.ctx_size > 0 ? o.ctx_size : std::min(model_ctx > 0 ? model_ctx : 4096, 4096);
  const auto prompt_len = static_cast<int32_t>(g.prompt_tokens.size());
  if (prompt_len >= ctx) {
    return out_of_range("prompt of " + std::to_string(prompt_len) + " tokens does not fit --ctx-size " +
                        std::to_string(ctx));
  }
  GenerateOptions run = o;
  run.max_tokens = std::min(o.max_tokens, ctx - prompt_len);
  const int32_t num_blocks = (ctx + kKvBlockSize - 1) / kKvBlockSize;
  BlockPool pool(num_blocks);
  std::vector<int32_t> blocks;
  ASC_RETURN_IF_ERROR(pool.allocate(num_blocks, blocks));
  const int threads = o.threads > 0 ? o.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const cpu::KvGeometry geo{(*model)->spec().num_layers, (*model)->spec().num_kv_heads, (*model)->spec().head_dim};
  StatusOr<std::unique_ptr<cpu::CpuBackend>> backend = cpu::make_cpu_backend(
      **model, threads, static_cast<size_t>(num_blocks) * geo.block_bytes(), std::min(prompt_len, kPrefillChunk));
  if (!backend.is_ok()) return backend.status();
  ASC_RETURN_IF_ERROR(generate(run, **backend, **tok, blocks, g));
  print_report(run, g);
  return Status::ok();
}

}  // namespace

void register_generate(CLI::App& app) {
  auto options = std::make_shared<GenerateOptions>();
  GenerateOptions& o = *options;
  CLI::App* sub = app.add_subcommand("generate", "Generate text for one prompt on the CPU");
  sub->add_option("-m,--model", o.model_path, "GGUF file or Hugging Face folder")->required();
  sub->add_option("-p,--prompt", o.prompt, "Prompt text")->required();
  sub->add_flag("--chat", o.chat, "Wrap the prompt as a user message in the model's chat template");
  sub->add_option("-n,--max-tokens", o.max_tokens, "Tokens to generate at most")->check(CLI::Range(1, 1 << 20));
  sub->add_option("--temperature", o.sampling.temperature, "0 = greedy")->check(CLI::Range(0.0, 100.0));
  sub->add_option("--top-p", o.sampling.top_p, "Nucleus mass (1 = off)")->check(CLI::Range(0.0, 1.0));
  sub->add_option("--top-k", o.sampling.top_k, "Top-k (0 = off)")->check(CLI::Range(0, 1 << 24));
  sub->add_option("--min-p", o.sampling.min_p, "Min-p (0 = off)")->check(CLI::Range(0.0, 1.0));
  sub->add_option("--seed", o.sampling.seed, "Seed of the sampler");
  sub->add_option("--threads", o.threads, "Threads (default: all cores)")->check(CLI::Range(0, 1024));
  sub->add_option("--ctx-size", o.ctx_size, "Context length (default: min(model, 4096))")->check(CLI::Range(0, 1 << 22));
  sub->add_flag("--json", o.json, "Print one JSON object instead of streaming text");
  sub->callback([options] {
    const Status s = run_generate(*options);
    if (!s.is_ok()) {
      std::fflush(stdout);
      std::fprintf(stderr, "ascendra generate: %s\n", s.to_string().c_str());
      throw CLI::RuntimeError(1);
    }
  });
}

}  // namespace asc::app
