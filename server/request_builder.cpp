#include "server/request_builder.h"

#include <algorithm>

namespace asc::server {
namespace {

std::optional<ApiError> tokenize(const CompletionParams& params, const TextCodec& codec,
                                 std::vector<int32_t>& tokens) {
  if (params.endpoint == Endpoint::kChat) {
    StatusOr<std::string> text = codec.render_chat(params.messages);
    if (!text) return bad_request(text.status().message(), "messages");
    StatusOr<std::vector<int32_t>> ids = codec.encode(*text, /*is_chat=*/true);
    if (!ids) return bad_request(ids.status().message(), "messages");
    tokens = std::move(*ids);
    return std::nullopt;
  }
  if (params.prompt_is_tokens) {
    for (int32_t t : params.prompt_tokens) {
      if (t >= codec.vocab_size()) {
        return bad_request("token id " + std::to_string(t) + " is outside the vocabulary (" +
                               std::to_string(codec.vocab_size()) + ")",
                           "prompt");
      }
    }
    tokens = params.prompt_tokens;
    return std::nullopt;
  }
  StatusOr<std::vector<int32_t>> ids = codec.encode(params.prompt_text, /*is_chat=*/false);
  if (!ids) return bad_request(ids.status().message(), "prompt");
  tokens = std::move(*ids);
  return std::nullopt;
}

}  // namespace

std::optional<ApiError> build_generation_request(const CompletionParams& params,
                                                 const TextCodec& codec, const ModelLimits& limits,
                                                 Request& out) {
  if (!params.model.empty() && params.model != limits.served_model_name) {
    return bad_request("model '" + params.model + "' does not exist; this server serves '" +
                           limits.served_model_name + "'",
                       "model", "model_not_found");
  }
  const char* prompt_param = params.endpoint == Endpoint::kChat ? "messages" : "prompt";
  if (auto err = tokenize(params, codec, out.tokens)) return err;
  int32_t num_prompt = static_cast<int32_t>(out.tokens.size());
  out.num_prompt_tokens = num_prompt;
  if (num_prompt == 0) return bad_request("the prompt tokenizes to nothing", prompt_param);
  if (num_prompt >= limits.ctx_size) {
    return bad_request("the prompt has " + std::to_string(num_prompt) +
                           " tokens; this model's context is " + std::to_string(limits.ctx_size) +
                           " tokens, which leaves no room for output",
                       prompt_param, "context_length_exceeded");
  }
  int32_t room = limits.ctx_size - num_prompt;
  if (params.max_tokens && *params.max_tokens > room) {
    return bad_request("max_tokens is " + std::to_string(*params.max_tokens) + " but the prompt (" +
                           std::to_string(num_prompt) + " tokens) leaves room for only " +
                           std::to_string(room) + " in a context of " +
                           std::to_string(limits.ctx_size),
                       "max_tokens", "context_length_exceeded");
  }
  out.max_output_tokens = params.max_tokens.value_or(room);
  out.eos_ids = codec.eog_tokens();
  out.sampling = params.sampling;
  out.ignore_eos = params.ignore_eos;
  out.priority = params.priority;
  out.ttft_slo_s = params.ttft_slo_ms ? *params.ttft_slo_ms / 1000.0 : limits.default_ttft_slo_s;
  out.tbt_slo_s = params.tbt_slo_ms ? *params.tbt_slo_ms / 1000.0 : limits.default_tbt_slo_s;
  return std::nullopt;
}

}  // namespace asc::server
