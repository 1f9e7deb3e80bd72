// Type and range checks of the OpenAI request fields. Every rejection names the offending field in
// error.param so that clients can point at it.
#include "server/openai_request.h"

#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

namespace asc::server {
namespace {

using nlohmann::json;
using MaybeError = std::optional<ApiError>;

MaybeError read_number(const json& body, const char* key, double lo, double hi,
                       std::optional<double>& out) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_number()) return bad_request(std::string("'") + key + "' must be a number", key, "invalid_type");
  double v = it->get<double>();
  if (!std::isfinite(v) || v < lo || v > hi) {
    return bad_request(std::string("'") + key + "' must be between " + std::to_string(lo) +
                           " and " + std::to_string(hi),
                       key);
  }
  out = v;
  return std::nullopt;
}

MaybeError read_int(const json& body, const char* key, int64_t lo, int64_t hi,
                    std::optional<int64_t>& out) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer()) {
    return bad_request(std::string("'") + key + "' must be an integer", key, "invalid_type");
  }
  int64_t v = it->is_number_unsigned() && it->get<uint64_t>() > uint64_t(INT64_MAX)
                  ? INT64_MAX
                  : it->get<int64_t>();
  if (v < lo || v > hi) {
    return bad_request(std::string("'") + key + "' must be between " + std::to_string(lo) +
                           " and " + std::to_string(hi),
                       key);
  }
  out = v;
  return std::nullopt;
}

MaybeError read_bool(const json& body, const char* key, bool& out) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_boolean()) return bad_request(std::string("'") + key + "' must be a boolean", key, "invalid_type");
  out = it->get<bool>();
  return std::nullopt;
}

MaybeError read_content(const json& content, std::string& out) {
  if (content.is_string()) {
    out = content.get<std::string>();
    return std::nullopt;
  }
  if (!content.is_array()) {
    return bad_request("message content must be a string or an array of text parts", "messages",
                       "invalid_type");
  }
  for (const json& part : content) {
    if (!part.is_object() || part.value("type", "") != "text" || !part.contains("text") ||
        !part["text"].is_string()) {
      return bad_request("only text content parts ({\"type\":\"text\",\"text\":...}) are supported",
                         "messages", "invalid_type");
    }
    out += part["text"].get<std::string>();
  }
  return std::nullopt;
}

MaybeError read_messages(const json& body, CompletionParams& out) {
  auto it = body.find("messages");
  if (it == body.end() || !it->is_array()) {
    return bad_request("'messages' is required and must be an array", "messages", "invalid_type");
  }
  if (it->empty()) return bad_request("'messages' must not be empty", "messages");
  for (const json& m : *it) {
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string()) {
      return bad_request("each message needs a string 'role'", "messages", "invalid_type");
    }
    ChatMessage msg;
    msg.role = m["role"].get<std::string>();
    if (msg.role != "system" && msg.role != "developer" && msg.role != "user" &&
        msg.role != "assistant") {
      return bad_request("unsupported message role '" + msg.role + "'", "messages");
    }
    auto content = m.find("content");
    if (content == m.end() || content->is_null()) {
      return bad_request("each message needs 'content'", "messages", "invalid_type");
    }
    if (auto err = read_content(*content, msg.content)) return err;
    out.messages.push_back(std::move(msg));
  }
  return std::nullopt;
}

MaybeError read_token_ids(const json& array, std::vector<int32_t>& out) {
  for (const json& t : array) {
    if (!t.is_number_integer() || t.get<int64_t>() < 0 ||
        t.get<int64_t>() > std::numeric_limits<int32_t>::max()) {
      return bad_request("token ids in 'prompt' must be non-negative integers", "prompt", "invalid_type");
    }
    out.push_back(static_cast<int32_t>(t.get<int64_t>()));
  }
  return std::nullopt;
}

MaybeError read_prompt(const json& body, CompletionParams& out) {
  auto it = body.find("prompt");
  if (it == body.end() || it->is_null()) return bad_request("'prompt' is required", "prompt", "missing");
  if (it->is_string()) {
    out.prompt_text = it->get<std::string>();
    if (out.prompt_text.empty()) return bad_request("'prompt' must not be empty", "prompt");
    return std::nullopt;
  }
  if (!it->is_array() || it->empty()) {
    return bad_request("'prompt' must be a string or a non-empty array of token ids", "prompt",
                       "invalid_type");
  }
  if (it->size() == 1 && (*it)[0].is_string()) {  // ["text"]: one prompt given as a list
    out.prompt_text = (*it)[0].get<std::string>();
    if (out.prompt_text.empty()) return bad_request("'prompt' must not be empty", "prompt");
    return std::nullopt;
  }
  out.prompt_is_tokens = true;
  return read_token_ids(*it, out.prompt_tokens);
}

MaybeError read_stop(const json& body, CompletionParams& out) {
  auto it = body.find("stop");
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) {
    if (!it->get<std::string>().empty()) out.stop.push_back(it->get<std::string>());
    return std::nullopt;
  }
  if (!it->is_array() || it->size() > kMaxStopStrings) {
    return bad_request("'stop' must be a string or an array of at most " +
                           std::to_string(kMaxStopStrings) + " strings",
                       "stop", "invalid_type");
  }
  for (const json& s : *it) {
    if (!s.is_string()) return bad_request("'stop' entries must be strings", "stop", "invalid_type");
    if (!s.get<std::string>().empty()) out.stop.push_back(s.get<std::string>());
  }
  return std::nullopt;
}

MaybeError read_sampling(const json& body, CompletionParams& out) {
  std::optional<double> temperature, top_p, min_p;
  std::optional<int64_t> top_k, seed;
  if (auto e = read_number(body, "temperature", 0.0, 2.0, temperature)) return e;
  if (auto e = read_number(body, "top_p", 0.0, 1.0, top_p)) return e;
  if (auto e = read_number(body, "min_p", 0.0, 1.0, min_p)) return e;
  if (auto e = read_int(body, "top_k", -1, std::numeric_limits<int32_t>::max(), top_k)) return e;
  if (auto e = read_int(body, "seed", std::numeric_limits<int64_t>::min(),
                        std::numeric_limits<int64_t>::max(), seed)) {
    return e;
  }
  out.sampling.temperature = static_cast<float>(temperature.value_or(1.0));
  if (top_p && *top_p <= 0.0) return bad_request("'top_p' must be greater than 0", "top_p");
  out.sampling.top_p = static_cast<float>(top_p.value_or(1.0));
  out.sampling.min_p = static_cast<float>(min_p.value_or(0.0));
  out.sampling.top_k = static_cast<int32_t>(top_k && *top_k > 0 ? *top_k : 0);
  out.has_seed = seed.has_value();
  out.sampling.seed = static_cast<uint64_t>(seed.value_or(0));
  return std::nullopt;
}

MaybeError read_limits(const json& body, CompletionParams& out) {
  std::optional<int64_t> max_tokens, max_completion, n, priority;
  constexpr int64_t kMaxInt = std::numeric_limits<int32_t>::max();
  if (auto e = read_int(body, "max_tokens", 1, kMaxInt, max_tokens)) return e;
  if (auto e = read_int(body, "max_completion_tokens", 1, kMaxInt, max_completion)) return e;
  if (max_completion) out.max_tokens = static_cast<int32_t>(*max_completion);
  else if (max_tokens) out.max_tokens = static_cast<int32_t>(*max_tokens);
  if (auto e = read_int(body, "n", 1, kMaxInt, n)) return e;
  if (n && *n != 1) return bad_request("only n = 1 is supported", "n", "unsupported_value");
  if (auto e = read_int(body, "priority", -kMaxInt, kMaxInt, priority)) return e;
  out.priority = static_cast<int32_t>(priority.value_or(0));
  constexpr double kMaxSloMs = 3.6e6;
  if (auto e = read_number(body, "ttft_slo_ms", 1e-3, kMaxSloMs, out.ttft_slo_ms)) return e;
  if (auto e = read_number(body, "tbt_slo_ms", 1e-3, kMaxSloMs, out.tbt_slo_ms)) return e;
  return std::nullopt;
}

MaybeError read_stream(const json& body, CompletionParams& out) {
  if (auto e = read_bool(body, "stream", out.stream)) return e;
  if (auto e = read_bool(body, "ignore_eos", out.ignore_eos)) return e;
  auto it = body.find("stream_options");
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_object()) return bad_request("'stream_options' must be an object", "stream_options", "invalid_type");
  if (auto e = read_bool(*it, "include_usage", out.include_usage)) return e;
  return std::nullopt;
}

}  // namespace

std::optional<ApiError> parse_completion_request(std::string_view body, Endpoint endpoint,
                                                 CompletionParams& out) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return bad_request("request body is not valid JSON", "", "invalid_json");
  if (!j.is_object()) return bad_request("request body must be a JSON object", "", "invalid_json");
  out = CompletionParams{};
  out.endpoint = endpoint;
  auto model = j.find("model");
  if (model != j.end() && !model->is_null()) {
    if (!model->is_string()) return bad_request("'model' must be a string", "model", "invalid_type");
    out.model = model->get<std::string>();
  }
  if (endpoint == Endpoint::kChat) {
    if (auto e = read_messages(j, out)) return e;
  } else if (auto e = read_prompt(j, out)) {
    return e;
  }
  if (auto e = read_sampling(j, out)) return e;
  if (auto e = read_limits(j, out)) return e;
  if (auto e = read_stop(j, out)) return e;
  return read_stream(j, out);
}

std::optional<ApiError> apply_slo_headers(const std::string& ttft_header,
                                          const std::string& tpot_header,
                                          CompletionParams& params) {
  auto parse = [](const std::string& text, const char* name,
                  std::optional<double>& field) -> MaybeError {
    if (text.empty() || field) return std::nullopt;
    char* end = nullptr;
    double v = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || *end != '\0' || !std::isfinite(v) || v <= 0.0) {
      return bad_request(std::string("header ") + name + " must be a positive number of ms", name);
    }
    field = v;
    return std::nullopt;
  };
  if (auto e = parse(ttft_header, "x-slo-ttft-ms", params.ttft_slo_ms)) return e;
  return parse(tpot_header, "x-slo-tpot-ms", params.tbt_slo_ms);
}

}  // namespace asc::server
