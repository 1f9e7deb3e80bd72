// Builders of the OpenAI response objects: the whole completion (stream false), the streamed chunks
// (stream true) and the SSE framing around them. Shapes follow OpenAI's API reference exactly:
// chat.completion / chat.completion.chunk with choices[].message / choices[].delta, and
// text_completion with choices[].text, then "data: [DONE]".
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "server/openai_request.h"

namespace asc::server {

struct Usage {
  int32_t prompt_tokens = 0;
  int32_t completion_tokens = 0;
};

/// Identity shared by every object of one response.
struct ResponseHeader {
  Endpoint endpoint = Endpoint::kChat;
  std::string id;        // "chatcmpl-..." or "cmpl-..."
  int64_t created = 0;   // unix seconds
  std::string model;
};

nlohmann::json usage_json(const Usage& usage);

/// The non-streaming response with the whole text, finish_reason and usage.
nlohmann::json completion_object(const ResponseHeader& header, const std::string& text,
                                 const std::string& finish_reason, const Usage& usage);

/// One streamed chunk. For chat, `role` adds delta.role (the first chunk); `text` adds
/// delta.content / text; a finish_reason closes the choice. include_usage adds "usage": null.
nlohmann::json chunk_object(const ResponseHeader& header, const std::optional<std::string>& text,
                            const std::optional<std::string>& finish_reason, bool with_role,
                            bool include_usage);

/// The final usage chunk of stream_options.include_usage: choices [] and the usage.
nlohmann::json usage_chunk(const ResponseHeader& header, const Usage& usage);

/// "data: <json>\n\n".
std::string sse_event(const nlohmann::json& object);
/// "data: [DONE]\n\n".
std::string sse_done();

}  // namespace asc::server
