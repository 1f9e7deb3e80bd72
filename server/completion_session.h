// CompletionSession: the HTTP-thread side of one admitted request. It reads the request's channel,
// decodes tokens into UTF-8-safe text, cuts stop strings (asking the engine to abort the request
// the moment one matches), and produces either SSE chunks (stream true) or the whole response
// object (stream false). It records the request's metrics exactly once when it ends.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/openai_response.h"
#include "server/request_channel.h"
#include "server/server_metrics.h"
#include "server/stop_matcher.h"
#include "server/text_codec.h"

namespace asc::server {

class EngineService;

struct SessionSpec {
  ResponseHeader header;
  std::vector<std::string> stop;
  bool include_usage = false;
  int32_t prompt_tokens = 0;
  double arrival_s = 0.0;
  double ttft_slo_s = 0.0;
  double tbt_slo_s = 0.0;
};

class CompletionSession {
 public:
  CompletionSession(EngineService& service, const TextCodec& codec, ServerMetrics& metrics,
                    SessionSpec spec, std::shared_ptr<RequestChannel> channel);
  ~CompletionSession();
  CompletionSession(const CompletionSession&) = delete;
  CompletionSession& operator=(const CompletionSession&) = delete;

  /// Streaming: waits up to `wait` and returns the SSE text to write next (maybe a keep-alive
  /// comment). Returns std::nullopt once the stream has ended and [DONE] was returned before.
  std::optional<std::string> next_sse(std::chrono::milliseconds wait);
  /// Non-streaming: blocks until the end; the response object, or an ApiError-shaped body with
  /// `http_status` set to 500 when the engine failed the request.
  nlohmann::json run_to_end(int& http_status);
  /// The client went away: abort the request in the engine (frees its KV blocks at the next
  /// iteration boundary) and record it. Idempotent; a no-op after a normal end.
  void client_gone();

 private:
  /// Consumes one channel batch; returns the text that became safe to emit.
  std::string consume(const ChannelBatch& batch);
  void stop_engine_request();
  void record(bool client_gone);
  std::string final_sse();

  EngineService& service_;
  ServerMetrics& metrics_;
  SessionSpec spec_;
  std::shared_ptr<RequestChannel> channel_;
  std::unique_ptr<TokenDecoder> decoder_;
  StopMatcher stop_;
  std::vector<double> token_times_s_;  // [completion tokens]
  FinishReason reason_ = FinishReason::kNone;
  std::string error_;
  double finish_s_ = 0.0;
  bool role_sent_ = false;
  bool done_sent_ = false;
  bool recorded_ = false;
  std::chrono::steady_clock::time_point last_write_;
};

}  // namespace asc::server
