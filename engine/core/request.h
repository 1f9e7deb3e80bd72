// Request: one generation request and its scheduling state inside an Instance.
//
// Token layout: `tokens` holds the prompt ids followed by the generated ids, so a prefill row (also a
// recompute after preemption) is one contiguous span. In simulation the prompt ids are unknown:
// `tokens` stays empty and only counts are kept (num_prompt_tokens, token_times_s.size()).
//
// Invariants: num_computed <= num_tokens(); block_table covers at least num_computed positions;
// token_times_s.size() == number of generated tokens.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/core/request_record.h"
#include "engine/core/step.h"

namespace asc {

enum class RequestPhase { kWaiting, kRunning, kFinished };

enum class FinishReason { kNone, kStop, kLength, kAbort, kError };

/// "stop", "length", "abort", "error" ("" for kNone): the OpenAI finish_reason spelling.
const char* finish_reason_name(FinishReason reason);

struct Request {
  // ---- what was asked (set before submit) ----
  RequestId id = 0;
  double arrival_s = 0.0;             // when the request entered the system (kept across moves)
  std::vector<int32_t> tokens;        // [num_prompt_tokens + generated] ids; empty when simulated
  int32_t num_prompt_tokens = 0;      // >= 1
  int32_t max_output_tokens = 16;     // >= 1
  std::vector<int32_t> eos_ids;       // stop tokens (ignored when ignore_eos)
  bool ignore_eos = false;
  SamplingParams sampling;
  double ttft_slo_s = 0.0;            // 0 = no objective
  double tbt_slo_s = 0.0;
  int32_t priority = 0;               // larger = more important (policies may ignore it)

  // ---- scheduling state (owned by the instance and its policy) ----
  RequestPhase phase = RequestPhase::kWaiting;
  int32_t num_computed = 0;           // positions whose KV is in the cache
  std::vector<int32_t> block_table;   // [ceil(positions / kKvBlockSize)] KV block ids
  double first_scheduled_s = -1.0;    // first time a row of this request was planned; < 0 = never
  std::vector<double> token_times_s;  // [generated] time each output token was produced
  int32_t num_preemptions = 0;
  int32_t num_offloads = 0;
  int32_t num_migrations = 0;
  FinishReason finish_reason = FinishReason::kNone;
  std::string error;                  // set with kError

  /// Builds a request with known prompt ids (real engines).
  static Request with_prompt(RequestId id, double arrival_s, std::vector<int32_t> prompt,
                             int32_t max_output_tokens);
  /// Builds a request with only a prompt length (simulation).
  static Request with_length(RequestId id, double arrival_s, int32_t num_prompt_tokens,
                             int32_t max_output_tokens);

  bool has_token_ids() const { return !tokens.empty(); }
  /// Generated tokens so far.
  int32_t num_output_tokens() const { return static_cast<int32_t>(token_times_s.size()); }
  /// Known sequence length: prompt plus generated tokens.
  int32_t num_tokens() const { return num_prompt_tokens + num_output_tokens(); }
  /// Known tokens whose KV is not yet computed (>= 1 for a request that can run).
  int32_t num_uncomputed() const { return num_tokens() - num_computed; }
  /// True while the next row is a prefill (prompt, or recompute after preemption); false when the
  /// next row is a single decode token.
  bool in_prefill() const { return num_output_tokens() == 0 || num_uncomputed() > 1; }
  /// Never planned: may still be offloaded (moved with only its tokens).
  bool never_started() const { return first_scheduled_s < 0.0 && num_computed == 0; }
  bool is_finished() const { return phase == RequestPhase::kFinished; }
  /// Generated ids (empty in simulation).
  std::span<const int32_t> output_tokens() const;
  /// True if `token` ends the request (EOS and !ignore_eos).
  bool is_eos(int32_t token) const;
  /// KV blocks needed to hold `positions` positions.
  static int32_t blocks_for(int32_t positions) { return (positions + kKvBlockSize - 1) / kKvBlockSize; }

  /// The outside view for the report module (success = finished with stop or length).
  RequestRecord to_record() const;
};

}  // namespace asc
