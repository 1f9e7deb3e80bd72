// ServeOptions: every flag of `ascendra serve` (registered in serve_command.cpp).
#pragma once

#include <cstdint>
#include <string>

namespace asc::server {

struct ServeOptions {
  std::string model_path;
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string policy = "sarathi";     // vllm | sarathi | ascendra
  std::string pools;                  // "low:2,high:1" (ascendra); empty = --instances of "any"
  std::string policy_options;         // ascendra "key=value,..." (engine/sched/ascendra_options.h)
  std::string profile;                // ascendra: perf-model JSON (`ascendra profile`); empty = a
                                      // short start-up profile, refined online
  int instances = 1;                  // round-robin instances for vllm / sarathi
  int threads = 0;                    // compute threads over all instances; 0 = all cores
  int32_t ctx_size = 2048;            // prompt + output tokens per request
  int32_t max_seqs = 64;              // running sequences per instance
  int32_t max_batch_tokens = 0;       // tokens per iteration; 0 = ctx_size
  int32_t chunk_size = 256;           // chunked-prefill token budget (sarathi, ascendra)
  int kv_cache_mib = 256;             // KV cache per instance
  double ttft_slo_ms = 0.0;           // default objectives (0 = none)
  double tbt_slo_ms = 0.0;
  std::string api_key;
  int32_t max_queue = 1024;           // waiting requests before 503
  bool admission_control = false;     // 429 for requests predicted to miss their TTFT objective
  std::string served_model_name;      // default: the model file's name without extension
  int http_threads = 128;
  int max_body_mib = 8;
  double shutdown_grace_s = 5.0;      // SIGTERM: time for in-flight requests to finish
  std::string chat_template;          // override: chatml | llama3 | llama2 | mistral
};

}  // namespace asc::server
