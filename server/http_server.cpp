#include "server/http_server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>

#include <ctime>
#include <random>
#include <thread>
#include <utility>

namespace asc::server {
namespace {

constexpr int kListenBacklog = 1024;

void send_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

ApiError not_found_route(const httplib::Request& req) {
  return ApiError{404, "no route " + req.method + " " + req.path, "invalid_request_error", "",
                  "unknown_route"};
}

}  // namespace

HttpServer::HttpServer(HttpOptions options, ServerMetrics& metrics)
    : options_(std::move(options)), metrics_(metrics) {
  // cpp-httplib writes with send() without MSG_NOSIGNAL: a client that vanishes mid-stream would
  // raise SIGPIPE and kill the process. Every HTTP server in the process wants this disposition.
  ::signal(SIGPIPE, SIG_IGN);
  std::random_device rd;
  id_salt_ = (uint64_t(rd()) << 32) ^ rd();
  int threads = options_.num_threads;
  // cpp-httplib takes ownership of the task queue it is given (its API needs the raw pointer).
  server_.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  server_.set_payload_max_length(options_.max_body_bytes);
  server_.set_read_timeout(30, 0);
  server_.set_write_timeout(30, 0);
  server_.set_keep_alive_max_count(1000);
  // SSE writes are small (one chunk per token): without TCP_NODELAY, Nagle holds each behind the
  // previous one's ACK (delayed ACK: ~40 ms), which lands directly in TTFT and TBT.
  server_.set_tcp_nodelay(true);
  // Remember the listening socket: cpp-httplib 0.11 listens with a backlog of 5, which drops
  // connections when many clients connect at once; bind() raises it.
  server_.set_socket_options([this](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));  // accepted sockets inherit it
    listen_socket_ = sock;
  });
  install_routes();
}

bool HttpServer::authorized(const httplib::Request& req) const {
  if (options_.api_key.empty()) return true;
  std::string header = req.get_header_value("Authorization");
  const std::string prefix = "Bearer ";
  if (header.rfind(prefix, 0) == 0 && header.substr(prefix.size()) == options_.api_key) return true;
  return req.get_header_value("x-api-key") == options_.api_key;
}

void HttpServer::completion_route(const httplib::Request& req, httplib::Response& res,
                                  Endpoint endpoint) {
  ServingContext* context = context_.load();
  if (context == nullptr || draining_.load()) {
    ApiError e{503, context ? "the server is shutting down" : "the model is still loading",
               "service_unavailable", "", "unavailable"};
    metrics_.count_rejection(503);
    return send_error(res, e);
  }
  CompletionEnv env{*context, metrics_, num_in_flight_, id_salt_, options_.stream_poll};
  handle_completion(req, res, endpoint, env);
}

void HttpServer::install_routes() {
  server_.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    bool protected_path = req.path.rfind("/v1/", 0) == 0;
    if (protected_path && !authorized(req)) {
      metrics_.count_rejection(401);
      send_error(res, ApiError{401, "invalid or missing API key (Authorization: Bearer KEY)",
                               "invalid_request_error", "", "invalid_api_key"});
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  server_.Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
    completion_route(req, res, Endpoint::kChat);
  });
  server_.Post("/v1/completions", [this](const httplib::Request& req, httplib::Response& res) {
    completion_route(req, res, Endpoint::kCompletion);
  });
  server_.Get("/v1/models", [this](const httplib::Request&, httplib::Response& res) {
    ServingContext* c = context_.load();
    nlohmann::json model = {{"id", options_.served_model_name},
                            {"object", "model"},
                            {"created", static_cast<int64_t>(std::time(nullptr))},
                            {"owned_by", "ascendra"}};
    if (c) model["max_model_len"] = c->limits.ctx_size;
    send_json(res, 200, {{"object", "list"}, {"data", nlohmann::json::array({model})}});
  });
  server_.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
    if (draining_.load()) return send_json(res, 503, {{"status", "shutting_down"}});
    if (!ready()) return send_json(res, 503, {{"status", "loading"}});
    send_json(res, 200, {{"status", "ok"}});
  });
  server_.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    ServingContext* c = context_.load();
    res.set_content(metrics_.render(c ? &c->service : nullptr), "text/plain; version=0.0.4");
  });
  server_.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;  // our own error objects pass through untouched
    if (res.status == 404) return send_error(res, not_found_route(req));
    if (res.status == 413) {
      return send_error(res, ApiError{413, "request body is larger than the server's limit",
                                      "invalid_request_error", "", "payload_too_large"});
    }
    send_error(res, ApiError{res.status, "HTTP error " + std::to_string(res.status),
                             "invalid_request_error", "", ""});
  });
  server_.set_exception_handler([](const httplib::Request&, httplib::Response& res,
                                   std::exception_ptr) {
    send_error(res, ApiError{500, "internal error", "server_error", "", "internal_error"});
  });
}

StatusOr<int> HttpServer::bind(const std::string& host, int port) {
  int bound = port == 0 ? server_.bind_to_any_port(host) : (server_.bind_to_port(host, port) ? port : -1);
  if (bound < 0) return unavailable("cannot listen on " + host + ":" + std::to_string(port));
  if (listen_socket_ >= 0) ::listen(listen_socket_, kListenBacklog);  // re-listen: new backlog
  return bound;
}

void HttpServer::listen() { server_.listen_after_bind(); }

void HttpServer::set_ready(ServingContext* context) { context_.store(context); }

void HttpServer::shutdown(std::chrono::milliseconds grace) {
  draining_.store(true);
  ServingContext* c = context_.load();
  if (c) c->service.shutdown(grace);
  // Every channel is finished now; give the handlers time to write their last chunks.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (num_in_flight_.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  server_.stop();
}

}  // namespace asc::server
