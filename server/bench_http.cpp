// HTTP client side of the load generator. Design note: one keep-alive httplib::Client per worker
// thread; a request's body is built before its send time (outside the measured interval), and
// every SSE chunk is timestamped on arrival in the content receiver, before any JSON parsing.
#include "server/bench_http.h"

#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "server/bench_sse.h"

namespace asc::server {

double steady_now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string BenchTarget::request_path() const {
  return path_prefix + (endpoint == BenchEndpoint::kChat ? "/v1/chat/completions" : "/v1/completions");
}

Status parse_bench_url(const std::string& url, BenchTarget& target) {
  const std::string scheme = "http://";
  if (url.rfind("https://", 0) == 0) {
    return invalid_argument("https URLs are not supported by the bench client; use http://");
  }
  if (url.rfind(scheme, 0) != 0) return invalid_argument("URL must start with http:// (got '" + url + "')");
  const size_t slash = url.find('/', scheme.size());
  target.origin = url.substr(0, slash);
  if (target.origin.size() == scheme.size()) return invalid_argument("URL has no host: '" + url + "'");
  std::string prefix = slash == std::string::npos ? std::string() : url.substr(slash);
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  if (prefix.size() >= 3 && prefix.compare(prefix.size() - 3, 3, "/v1") == 0) prefix.resize(prefix.size() - 3);
  target.path_prefix = prefix;
  return Status::ok();
}

std::unique_ptr<httplib::Client> make_bench_client(const BenchTarget& target) {
  auto client = std::make_unique<httplib::Client>(target.origin);
  client->set_keep_alive(true);
  client->set_tcp_nodelay(true);
  client->set_connection_timeout(10, 0);
  const auto read_s = static_cast<time_t>(target.timeout_s);
  client->set_read_timeout(read_s, 0);
  client->set_write_timeout(60, 0);
  return client;
}

std::string build_request_body(const BenchTarget& target, const workload::WorkloadRequest& request,
                               const PromptFactory& prompts) {
  nlohmann::json body;
  if (!target.model.empty()) body["model"] = target.model;
  if (target.endpoint == BenchEndpoint::kChat) {
    body["messages"] = nlohmann::json::array(
        {{{"role", "user"}, {"content", prompts.chat_text(request.id, request.prompt_tokens)}}});
  } else {
    body["prompt"] = prompts.token_ids(request.id, request.prompt_tokens);
  }
  body["max_tokens"] = request.output_tokens;
  body["ignore_eos"] = true;
  body["stream"] = true;
  body["stream_options"] = {{"include_usage", true}};
  body["temperature"] = 0.0;
  if (request.ttft_slo_s > 0.0) body["ttft_slo_ms"] = request.ttft_slo_s * 1e3;
  if (request.tbt_slo_s > 0.0) body["tbt_slo_ms"] = request.tbt_slo_s * 1e3;
  return body.dump();
}

namespace {

httplib::Headers request_headers(const BenchTarget& target, uint64_t request_id, bool stream) {
  httplib::Headers headers = {{"Accept", stream ? "text/event-stream" : "application/json"},
                              {"x-request-id", std::to_string(request_id)}};
  if (!target.api_key.empty()) headers.emplace("Authorization", "Bearer " + target.api_key);
  return headers;
}

// Classifies a finished exchange; empty string means success.
std::string failure_reason(bool sent, httplib::Error err, int status, const std::string& error_body,
                           const StreamTracker& tracker) {
  if (!sent) return "connection error: " + httplib::to_string(err);
  if (status != 200) return "HTTP " + std::to_string(status) + ": " + error_body.substr(0, 200);
  if (!tracker.error().empty()) return tracker.error();
  if (!tracker.done()) return "stream ended without [DONE]";
  if (tracker.token_times_s().empty()) return "no tokens received";
  return {};
}

}  // namespace

RequestRecord send_request(httplib::Client& client, const BenchTarget& target,
                           const workload::WorkloadRequest& request, const std::string& body,
                           double epoch_s, RequestExtras* extras) {
  RequestRecord rec;
  rec.id = request.id;
  rec.num_prompt_tokens = request.prompt_tokens;
  rec.num_requested_output_tokens = request.output_tokens;
  rec.ttft_slo_s = request.ttft_slo_s;
  rec.tbt_slo_s = request.tbt_slo_s;
  SseParser parser;
  StreamTracker tracker;
  int status = 0;
  std::string error_body;  // first bytes of a non-200 body
  httplib::Request req;
  req.method = "POST";
  req.path = target.request_path();
  req.headers = request_headers(target, request.id, /*stream=*/true);
  req.body = body;
  req.set_header("Content-Type", "application/json");
  req.response_handler = [&status](const httplib::Response& res) {
    status = res.status;
    return true;
  };
  req.content_receiver = [&](const char* data, size_t len, uint64_t, uint64_t) {
    const double now_s = steady_now_s() - epoch_s;
    if (status != 200) {
      if (error_body.size() < 512) error_body.append(data, std::min(len, 512 - error_body.size()));
      return true;
    }
    parser.feed(std::string_view(data, len), [&](std::string_view ev) { tracker.on_event(ev, now_s); });
    return true;
  };
  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  rec.arrival_s = steady_now_s() - epoch_s;
  const bool sent = client.send(req, res, err);
  const double end_s = steady_now_s() - epoch_s;
  if (sent && status == 0) status = res.status;
  if (error_body.empty()) error_body = res.body.substr(0, 512);
  parser.finish([&](std::string_view ev) { tracker.on_event(ev, end_s); });
  rec.token_times_s = tracker.token_times_s();
  rec.num_output_tokens = tracker.usage_completion_tokens().value_or(
      static_cast<int32_t>(rec.token_times_s.size()));
  rec.error = failure_reason(sent, err, status, error_body, tracker);
  rec.success = rec.error.empty();
  if (extras != nullptr) {
    extras->usage_completion_tokens = tracker.usage_completion_tokens();
    extras->usage_prompt_tokens = tracker.usage_prompt_tokens();
    extras->content_chunks = static_cast<int32_t>(tracker.token_times_s().size());
  }
  return rec;
}

StatusOr<ServerModelInfo> query_models(const BenchTarget& target) {
  std::unique_ptr<httplib::Client> client = make_bench_client(target);
  client->set_read_timeout(10, 0);
  httplib::Headers headers = request_headers(target, 0, /*stream=*/false);
  httplib::Result res = client->Get((target.path_prefix + "/v1/models").c_str(), headers);
  if (!res) return unavailable("GET /v1/models failed: " + httplib::to_string(res.error()));
  if (res->status != 200) return unavailable("GET /v1/models: HTTP " + std::to_string(res->status));
  nlohmann::json j = nlohmann::json::parse(res->body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("data") || !j["data"].is_array() || j["data"].empty()) {
    return unavailable("GET /v1/models: no models listed");
  }
  const nlohmann::json& first = j["data"][0];
  ServerModelInfo info;
  if (const auto id = first.find("id"); id != first.end() && id->is_string()) info.id = *id;
  if (const auto meta = first.find("meta"); meta != first.end() && meta->is_object()) {
    const auto n = meta->find("n_vocab");
    if (n != meta->end() && n->is_number_integer()) info.n_vocab = n->get<int32_t>();
  }
  return info;
}

Status wait_until_healthy(const BenchTarget& target, double timeout_s) {
  std::unique_ptr<httplib::Client> client = make_bench_client(target);
  client->set_connection_timeout(1, 0);
  client->set_read_timeout(5, 0);
  const httplib::Headers headers = request_headers(target, 0, /*stream=*/false);
  const double deadline_s = steady_now_s() + timeout_s;
  std::string last = "no answer";
  while (true) {
    httplib::Result res = client->Get((target.path_prefix + "/health").c_str(), headers);
    if (res && (res->status == 200 || res->status == 404)) return Status::ok();
    last = res ? "HTTP " + std::to_string(res->status) : httplib::to_string(res.error());
    if (steady_now_s() >= deadline_s) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return unavailable("server not ready after " + std::to_string(timeout_s) + " s (GET /health: " + last + ")");
}

StatusOr<int32_t> probe_chat_prompt_tokens(const BenchTarget& target, const std::string& text) {
  std::unique_ptr<httplib::Client> client = make_bench_client(target);
  nlohmann::json body = {{"messages", nlohmann::json::array({{{"role", "user"}, {"content", text}}})},
                         {"max_tokens", 1}, {"stream", false}, {"temperature", 0.0}};
  if (!target.model.empty()) body["model"] = target.model;
  BenchTarget chat = target;
  chat.endpoint = BenchEndpoint::kChat;
  httplib::Headers headers = request_headers(target, 0, /*stream=*/false);
  httplib::Result res = client->Post(chat.request_path().c_str(), headers, body.dump(), "application/json");
  if (!res) return unavailable("chat probe failed: " + httplib::to_string(res.error()));
  if (res->status != 200) return unavailable("chat probe: HTTP " + std::to_string(res->status));
  nlohmann::json j = nlohmann::json::parse(res->body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("usage") || !j["usage"].is_object() ||
      !j["usage"].contains("prompt_tokens") || !j["usage"]["prompt_tokens"].is_number_integer()) {
    return unavailable("chat probe: no usage.prompt_tokens in the response");
  }
  return j["usage"]["prompt_tokens"].get<int32_t>();
}

}  // namespace asc::server
