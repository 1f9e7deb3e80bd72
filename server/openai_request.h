// Parsing of the OpenAI request bodies (POST /v1/chat/completions and /v1/completions) into a typed
// CompletionParams. This layer checks JSON syntax, field types and ranges that need no model; the
// model-dependent checks (model name, context length, token ids) happen in request_builder.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/step.h"
#include "engine/model/chat_template.h"
#include "server/api_error.h"

namespace asc::server {

enum class Endpoint { kChat, kCompletion };

// Messages are the model layer's {role, content} (role: system | developer | user | assistant;
// content: the text parts concatenated).
using asc::ChatMessage;

struct CompletionParams {
  Endpoint endpoint = Endpoint::kChat;
  std::string model;                     // empty when the client sent none
  std::vector<ChatMessage> messages;     // chat only, non-empty
  std::string prompt_text;               // completions, when the prompt is text
  std::vector<int32_t> prompt_tokens;    // completions, when the prompt is token ids
  bool prompt_is_tokens = false;
  std::optional<int32_t> max_tokens;     // max_tokens or max_completion_tokens
  SamplingParams sampling;               // temperature default 1.0 as in OpenAI
  bool has_seed = false;
  std::vector<std::string> stop;         // non-empty strings
  bool stream = false;
  bool include_usage = false;            // stream_options.include_usage
  bool ignore_eos = false;               // extension for benchmarks
  std::optional<double> ttft_slo_ms;     // extensions: per-request objectives
  std::optional<double> tbt_slo_ms;
  int32_t priority = 0;
};

/// Upper bound on the number of stop strings accepted in one request.
inline constexpr size_t kMaxStopStrings = 16;

/// Parses and type-checks one request body. Returns an ApiError (400) for malformed JSON, wrong
/// types, out-of-range values, n != 1, empty messages or an empty prompt.
std::optional<ApiError> parse_completion_request(std::string_view body, Endpoint endpoint,
                                                 CompletionParams& out);

/// Applies the SLO headers (x-slo-ttft-ms, x-slo-tpot-ms); a body field takes precedence.
/// Header values must be positive numbers.
std::optional<ApiError> apply_slo_headers(const std::string& ttft_header,
                                          const std::string& tpot_header,
                                          CompletionParams& params);

}  // namespace asc::server
