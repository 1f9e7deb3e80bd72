// The handler of POST /v1/chat/completions and POST /v1/completions: parse, validate, tokenize and
// admit the request on the HTTP thread, then answer it as SSE (stream true) or as one JSON object.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include <httplib.h>

#include "server/engine_service.h"
#include "server/openai_request.h"
#include "server/request_builder.h"
#include "server/server_metrics.h"
#include "server/text_codec.h"

namespace asc::server {

/// Everything a completion needs once the model is loaded. Owned by the serve command; outlives
/// the HTTP server.
struct ServingContext {
  EngineService& service;
  const TextCodec& codec;
  ModelLimits limits;
};

/// Shared state of all completion handlers of one HttpServer.
struct CompletionEnv {
  ServingContext& context;
  ServerMetrics& metrics;
  std::atomic<int32_t>& num_in_flight;  // handlers (streams included) not yet finished
  uint64_t id_salt = 0;                 // random per process: ids and default seeds differ per run
  std::chrono::milliseconds stream_poll{50};
};

/// Sends `error` as the response (OpenAI error object); 503s carry Retry-After.
void send_error(httplib::Response& res, const ApiError& error);

/// Handles one completion request end to end (for a stream: sets the chunked content provider).
void handle_completion(const httplib::Request& req, httplib::Response& res, Endpoint endpoint,
                       CompletionEnv& env);

}  // namespace asc::server
