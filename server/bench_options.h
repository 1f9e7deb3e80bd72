// Options of `ascendra bench` and the entry point that runs it (server/bench_main.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/status.h"

namespace asc::server {

struct BenchOptions {
  std::string url;                  // http://host:port[/prefix]
  std::string trace_path;
  std::string endpoint = "completions";  // completions | chat
  std::string model;                // empty: first id from GET /v1/models
  double qps = 1.0;
  std::string sweep;                // "A:B:STEP" (overrides qps)
  size_t num_requests = 0;          // 0: --duration, or 100 when neither is given
  double duration_s = 0.0;
  double burstiness = 1.0;
  bool replay_timestamps = false;
  double time_scale = 1.0;
  uint64_t seed = 0;
  double ttft_slo_ms = 0.0;         // 0 = no objective
  double tbt_slo_ms = 0.0;
  double length_scale = 1.0;
  int32_t max_prompt_tokens = 0;    // 0 = no clip
  int32_t max_output_tokens = 0;
  size_t max_concurrency = 0;       // 0 = open loop
  std::string api_key;
  std::string json_path;
  std::string per_request_path;
  std::string tokenizer_path;       // GGUF whose tokenizer makes chat prompt lengths exact
  double request_timeout_s = 600.0;
  double ready_timeout_s = 300.0;   // wait this long for GET /health to answer 200
  bool progress = true;             // a status line on stderr, only when stderr is a TTY
};

/// Parses "A:B:STEP" into the inclusive list of rates A, A+STEP, ... <= B (+1e-9 slack).
StatusOr<std::vector<double>> parse_sweep(const std::string& spec);

/// Runs the benchmark: prints the report to stdout, writes --json / --per-request files.
/// Returns a process exit code (0 ok, 1 on a setup error printed to stderr).
int run_bench(const BenchOptions& options);

}  // namespace asc::server
