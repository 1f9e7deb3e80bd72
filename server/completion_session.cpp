#include "server/completion_session.h"

#include <utility>

#include "server/engine_service.h"

namespace asc::server {
namespace {

// A stream that has produced nothing for this long gets an SSE comment, which both keeps proxies
// from timing out and reveals a client that went away while its request was still queued.
constexpr std::chrono::milliseconds kKeepAliveInterval{250};

}  // namespace

CompletionSession::CompletionSession(EngineService& service, const TextCodec& codec,
                                     ServerMetrics& metrics, SessionSpec spec,
                                     std::shared_ptr<RequestChannel> channel)
    : service_(service),
      metrics_(metrics),
      spec_(std::move(spec)),
      channel_(std::move(channel)),
      decoder_(codec.make_decoder()),
      stop_(spec_.stop),
      last_write_(std::chrono::steady_clock::now()) {}

CompletionSession::~CompletionSession() { client_gone(); }

void CompletionSession::stop_engine_request() {
  channel_->cancel();
  service_.notify_cancelled();
}

std::string CompletionSession::consume(const ChannelBatch& batch) {
  std::string text;
  for (const ChannelToken& t : batch.tokens) {
    if (reason_ != FinishReason::kNone) break;  // a stop string already ended the output
    token_times_s_.push_back(t.time_s);
    text += stop_.push(decoder_->push(t.token));
    if (stop_.stopped()) {
      reason_ = FinishReason::kStop;
      finish_s_ = t.time_s;
      stop_engine_request();
    }
  }
  if (batch.finished && reason_ == FinishReason::kNone) {
    text += stop_.push(decoder_->flush());
    text += stop_.flush();
    reason_ = stop_.stopped() ? FinishReason::kStop : batch.reason;
    error_ = batch.error;
    finish_s_ = batch.finish_time_s;
  }
  return text;
}

void CompletionSession::record(bool client_gone) {
  if (recorded_) return;
  recorded_ = true;
  RequestOutcome o;
  o.arrival_s = spec_.arrival_s;
  o.started_s = channel_->started_s();
  o.token_times_s = token_times_s_;
  o.finish_s = reason_ == FinishReason::kNone ? service_.clock().now_s() : finish_s_;
  o.prompt_tokens = spec_.prompt_tokens;
  o.reason = reason_ == FinishReason::kNone ? FinishReason::kAbort : reason_;
  o.client_gone = client_gone;
  o.ttft_slo_s = spec_.ttft_slo_s;
  o.tbt_slo_s = spec_.tbt_slo_s;
  metrics_.observe_request(o);
}

void CompletionSession::client_gone() {
  if (recorded_) return;
  if (reason_ == FinishReason::kNone) stop_engine_request();
  record(reason_ == FinishReason::kNone);
}

std::string CompletionSession::final_sse() {
  std::string out;
  if (reason_ == FinishReason::kError) {
    ApiError e{500, "generation failed: " + error_, "server_error", "", "internal_error"};
    out += sse_event(error_body(e));
  } else {
    out += sse_event(chunk_object(spec_.header, std::nullopt, std::string(finish_reason_name(reason_)),
                                  false, spec_.include_usage));
  }
  if (spec_.include_usage) {
    Usage usage{spec_.prompt_tokens, static_cast<int32_t>(token_times_s_.size())};
    out += sse_event(usage_chunk(spec_.header, usage));
  }
  out += sse_done();
  return out;
}

std::optional<std::string> CompletionSession::next_sse(std::chrono::milliseconds wait) {
  if (done_sent_) return std::nullopt;
  std::string out;
  if (!role_sent_ && spec_.header.endpoint == Endpoint::kChat) {
    role_sent_ = true;
    out += sse_event(chunk_object(spec_.header, std::string(), std::nullopt, true, spec_.include_usage));
    last_write_ = std::chrono::steady_clock::now();
    return out;
  }
  ChannelBatch batch;
  if (reason_ == FinishReason::kNone && channel_->wait(wait, batch)) {
    std::string text = consume(batch);
    if (!text.empty()) {
      out += sse_event(chunk_object(spec_.header, text, std::nullopt, false, spec_.include_usage));
    }
  }
  if (reason_ != FinishReason::kNone) {
    out += final_sse();
    done_sent_ = true;
    record(false);
  }
  auto now = std::chrono::steady_clock::now();
  if (out.empty() && now - last_write_ >= kKeepAliveInterval) out = ": keep-alive\n\n";
  if (!out.empty()) last_write_ = now;
  return out;
}

nlohmann::json CompletionSession::run_to_end(int& http_status) {
  std::string text;
  ChannelBatch batch;
  while (reason_ == FinishReason::kNone) {
    if (channel_->wait(std::chrono::milliseconds(1000), batch)) text += consume(batch);
  }
  record(false);
  Usage usage{spec_.prompt_tokens, static_cast<int32_t>(token_times_s_.size())};
  if (reason_ == FinishReason::kError) {
    http_status = 500;
    return error_body(ApiError{500, "generation failed: " + error_, "server_error", "", "internal_error"});
  }
  http_status = 200;
  return completion_object(spec_.header, text, finish_reason_name(reason_), usage);
}

}  // namespace asc::server
