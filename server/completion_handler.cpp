#include "server/completion_handler.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <utility>

#include "server/completion_session.h"

namespace asc::server {
namespace {

uint64_t mix64(uint64_t x) {  // splitmix64 finaliser
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::string response_id(Endpoint endpoint, RequestId id, uint64_t salt) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%s-%016llx%08llx", endpoint == Endpoint::kChat ? "chatcmpl" : "cmpl",
                static_cast<unsigned long long>(mix64(salt ^ id)),
                static_cast<unsigned long long>(id & 0xffffffffULL));
  return buf;
}

/// Decrements the in-flight count when the last owner of a request's handler state goes away.
struct InFlightGuard {
  explicit InFlightGuard(std::atomic<int32_t>& n) : count(n) { count.fetch_add(1); }
  ~InFlightGuard() { count.fetch_sub(1); }
  InFlightGuard(const InFlightGuard&) = delete;
  InFlightGuard& operator=(const InFlightGuard&) = delete;
  std::atomic<int32_t>& count;
};

struct StreamState {
  std::unique_ptr<CompletionSession> session;
  std::unique_ptr<InFlightGuard> guard;
};

void start_stream(httplib::Response& res, std::unique_ptr<CompletionSession> session,
                  std::unique_ptr<InFlightGuard> guard, std::chrono::milliseconds poll) {
  auto state = std::make_shared<StreamState>(StreamState{std::move(session), std::move(guard)});
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Accel-Buffering", "no");
  res.set_chunked_content_provider(
      "text/event-stream",
      [state, poll](size_t /*offset*/, httplib::DataSink& sink) {
        std::optional<std::string> piece = state->session->next_sse(poll);
        if (!piece) {
          sink.done();
          return true;
        }
        // A failed write means the client is gone: returning false ends the response and the
        // releaser below aborts the request in the engine.
        return piece->empty() || sink.write(piece->data(), piece->size());
      },
      [state](bool /*success*/) {
        state->session->client_gone();  // no-op after a normal end
        state->session.reset();
        state->guard.reset();
      });
}

}  // namespace

void send_error(httplib::Response& res, const ApiError& error) {
  res.status = error.http_status;
  if (error.http_status == 503 || error.http_status == 429) res.set_header("Retry-After", "1");
  res.set_content(error_body(error).dump(), "application/json");
}

void handle_completion(const httplib::Request& req, httplib::Response& res, Endpoint endpoint,
                       CompletionEnv& env) {
  auto guard = std::make_unique<InFlightGuard>(env.num_in_flight);
  EngineService& service = env.context.service;
  double arrival_s = service.clock().now_s();
  CompletionParams params;
  std::optional<ApiError> err = parse_completion_request(req.body, endpoint, params);
  if (!err) {
    err = apply_slo_headers(req.get_header_value("x-slo-ttft-ms"),
                            req.get_header_value("x-slo-tpot-ms"), params);
  }
  auto request = std::make_unique<Request>();
  Request& gen = *request;
  if (!err) err = build_generation_request(params, env.context.codec, env.context.limits, gen);
  if (err) {
    env.metrics.count_rejection(err->http_status);
    return send_error(res, *err);
  }
  gen.id = service.next_request_id();
  gen.arrival_s = arrival_s;
  if (!params.has_seed) gen.sampling.seed = mix64(env.id_salt + gen.id);
  SessionSpec spec;
  spec.header = {endpoint, response_id(endpoint, gen.id, env.id_salt),
                 static_cast<int64_t>(std::time(nullptr)), env.context.limits.served_model_name};
  spec.stop = params.stop;
  spec.include_usage = params.stream && params.include_usage;
  spec.prompt_tokens = gen.num_prompt_tokens;
  spec.arrival_s = arrival_s;
  spec.ttft_slo_s = gen.ttft_slo_s;
  spec.tbt_slo_s = gen.tbt_slo_s;
  StatusOr<std::shared_ptr<RequestChannel>> channel = service.submit(std::move(request));
  if (!channel) {
    ApiError e = api_error_from_status(channel.status());
    env.metrics.count_rejection(e.http_status);
    return send_error(res, e);
  }
  auto session = std::make_unique<CompletionSession>(service, env.context.codec, env.metrics,
                                                     std::move(spec), std::move(*channel));
  if (params.stream) return start_stream(res, std::move(session), std::move(guard), env.stream_poll);
  int status = 200;
  nlohmann::json body = session->run_to_end(status);
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/json");
}

}  // namespace asc::server
