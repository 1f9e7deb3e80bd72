#include "server/openai_response.h"

namespace asc::server {
namespace {

using nlohmann::json;

json base_object(const ResponseHeader& header, const char* object) {
  return json{{"id", header.id},
              {"object", object},
              {"created", header.created},
              {"model", header.model},
              {"system_fingerprint", "ascendra"}};
}

}  // namespace

json usage_json(const Usage& usage) {
  return json{{"prompt_tokens", usage.prompt_tokens},
              {"completion_tokens", usage.completion_tokens},
              {"total_tokens", usage.prompt_tokens + usage.completion_tokens}};
}

json completion_object(const ResponseHeader& header, const std::string& text,
                       const std::string& finish_reason, const Usage& usage) {
  bool chat = header.endpoint == Endpoint::kChat;
  json out = base_object(header, chat ? "chat.completion" : "text_completion");
  json choice = {{"index", 0}, {"logprobs", nullptr}, {"finish_reason", finish_reason}};
  if (chat) {
    choice["message"] = json{{"role", "assistant"}, {"content", text}};
  } else {
    choice["text"] = text;
  }
  out["choices"] = json::array({choice});
  out["usage"] = usage_json(usage);
  return out;
}

json chunk_object(const ResponseHeader& header, const std::optional<std::string>& text,
                  const std::optional<std::string>& finish_reason, bool with_role,
                  bool include_usage) {
  bool chat = header.endpoint == Endpoint::kChat;
  json out = base_object(header, chat ? "chat.completion.chunk" : "text_completion");
  json choice = {{"index", 0}, {"logprobs", nullptr}};
  if (chat) {
    json delta = json::object();
    if (with_role) delta["role"] = "assistant";
    if (text) delta["content"] = *text;
    choice["delta"] = delta;
  } else {
    choice["text"] = text.value_or("");
  }
  choice["finish_reason"] = finish_reason ? json(*finish_reason) : json(nullptr);
  out["choices"] = json::array({choice});
  if (include_usage) out["usage"] = nullptr;
  return out;
}

json usage_chunk(const ResponseHeader& header, const Usage& usage) {
  bool chat = header.endpoint == Endpoint::kChat;
  json out = base_object(header, chat ? "chat.completion.chunk" : "text_completion");
  out["choices"] = json::array();
  out["usage"] = usage_json(usage);
  return out;
}

std::string sse_event(const json& object) {
  // error_handler_t::replace: a model can emit invalid UTF-8 only through a broken decoder, and a
  // stream must never die on it.
  return "data: " + object.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n";
}

std::string sse_done() { return "data: [DONE]\n\n"; }

}  // namespace asc::server
