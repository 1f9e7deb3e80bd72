// Model-dependent validation: turns parsed CompletionParams into the core Request the engine runs.
// Checks the model name, renders chat messages with the model's template, tokenizes, and
// checks prompt length, token ids and max_tokens against the context. Runs on the HTTP thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "server/api_error.h"
#include "engine/core/request.h"
#include "server/openai_request.h"
#include "server/text_codec.h"

namespace asc::server {

struct ModelLimits {
  std::string served_model_name;
  int32_t ctx_size = 2048;          // prompt + output tokens per request
  double default_ttft_slo_s = 0.0;  // --ttft-slo-ms, 0 = none
  double default_tbt_slo_s = 0.0;   // --tbt-slo-ms
};

/// Fills the prompt, limits, sampling, EOS ids and objectives of `out` (id and arrival_s are left
/// to the caller). Errors are 400s naming the field.
std::optional<ApiError> build_generation_request(const CompletionParams& params,
                                                 const TextCodec& codec, const ModelLimits& limits,
                                                 Request& out);

}  // namespace asc::server
