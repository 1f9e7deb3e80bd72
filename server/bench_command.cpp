// `ascendra bench`: registration of the subcommand and its options (the run is in bench_main.cpp).
#include <CLI/CLI.hpp>

#include <memory>

#include "engine/app/commands.h"
#include "server/bench_options.h"

namespace asc::server {

void register_bench(CLI::App& app) {
  auto options = std::make_shared<BenchOptions>();
  CLI::App* sub = app.add_subcommand(
      "bench", "Load-test an OpenAI-compatible server with a trace; report TTFT/TBT SLO attainment");
  BenchOptions& o = *options;
  sub->add_option("--url", o.url, "Server base URL, e.g. http://127.0.0.1:8080")->required();
  sub->add_option("--trace", o.trace_path, "Trace CSV (azure or metron format)")->required()->check(CLI::ExistingFile);
  sub->add_option("--endpoint", o.endpoint, "completions (token-id prompts) or chat")
      ->check(CLI::IsMember({"completions", "chat"}));
  sub->add_option("--model", o.model, "Model name to send (default: first of GET /v1/models)");
  auto* qps = sub->add_option("--qps", o.qps, "Request rate (req/s)")->check(CLI::PositiveNumber);
  auto* sweep = sub->add_option("--sweep", o.sweep, "Rate sweep A:B:STEP (inclusive); reports capacity");
  qps->excludes(sweep);
  auto* num = sub->add_option("--num-requests", o.num_requests, "Requests per rate (default 100)");
  auto* dur = sub->add_option("--duration", o.duration_s, "Seconds of arrivals per rate instead of a count")
                  ->check(CLI::PositiveNumber);
  num->excludes(dur);
  sub->add_option("--burstiness", o.burstiness,
                  "Gamma shape of the gaps (vLLM convention): 1 Poisson, <1 burstier, >1 smoother")
      ->check(CLI::PositiveNumber);
  sub->add_flag("--replay-timestamps", o.replay_timestamps, "Use the trace's own arrival times (azure)");
  sub->add_option("--time-scale", o.time_scale, "Replay time multiplier: 0.5 = twice as fast")
      ->check(CLI::PositiveNumber);
  sub->add_option("--seed", o.seed, "Seed for row sampling, arrivals and prompts");
  sub->add_option("--ttft-slo-ms", o.ttft_slo_ms, "TTFT objective per request (0 = none)")->check(CLI::NonNegativeNumber);
  sub->add_option("--tbt-slo-ms", o.tbt_slo_ms, "TBT (TPOT) objective per request (0 = none)")->check(CLI::NonNegativeNumber);
  sub->add_option("--length-scale", o.length_scale, "Multiply trace lengths by F")->check(CLI::PositiveNumber);
  sub->add_option("--max-prompt-tokens", o.max_prompt_tokens, "Clip prompt lengths (0 = none)")->check(CLI::NonNegativeNumber);
  sub->add_option("--max-output-tokens", o.max_output_tokens, "Clip output lengths (0 = none)")->check(CLI::NonNegativeNumber);
  sub->add_option("--max-concurrency", o.max_concurrency, "Cap on requests in flight (0 = open loop)");
  sub->add_option("--api-key", o.api_key, "Bearer token");
  sub->add_option("--json", o.json_path, "Write the JSON report (sweep: runs + capacities) here");
  sub->add_option("--per-request", o.per_request_path, "Write one CSV row per request here");
  sub->add_option("--tokenizer", o.tokenizer_path,
                  "Model GGUF: its tokenizer makes chat prompt lengths exact and skips control ids")
      ->check(CLI::ExistingFile);
  sub->add_option("--request-timeout", o.request_timeout_s, "Per-request read timeout in seconds")
      ->check(CLI::PositiveNumber);
  sub->add_option("--ready-timeout", o.ready_timeout_s, "Seconds to wait for GET /health before starting")
      ->check(CLI::NonNegativeNumber);
  sub->add_flag("!--no-progress", o.progress, "No status line on stderr");
  sub->callback([options] {
    const int rc = run_bench(*options);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace asc::server
