// HttpServer: routing, authentication, body limits and error mapping of `ascendra serve`, on
// cpp-httplib's thread pool. It listens before the model is loaded (GET /health answers 503 until
// set_ready) and shuts down in an order that lets every open stream end with a final chunk.
//
// Routes: POST /v1/chat/completions, POST /v1/completions, GET /v1/models, GET /health,
// GET /metrics. Anything else is a 404 with an OpenAI error object.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <httplib.h>

#include "server/completion_handler.h"
#include "server/server_metrics.h"

namespace asc::server {

struct HttpOptions {
  std::string api_key;                     // empty = no authentication
  size_t max_body_bytes = 8u << 20;        // larger bodies get 413
  int num_threads = 128;                   // HTTP worker threads (each open stream holds one)
  std::string served_model_name;           // for /v1/models before the model is ready
  std::chrono::milliseconds stream_poll{50};
};

class HttpServer {
 public:
  HttpServer(HttpOptions options, ServerMetrics& metrics);
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Binds host:port (port 0 picks a free one). Returns the bound port, or a Status.
  StatusOr<int> bind(const std::string& host, int port);
  /// Serves until stop(); call after bind(), typically on its own thread.
  void listen();
  /// From now on completions are served by `context` (which must outlive this server).
  void set_ready(ServingContext* context);
  bool ready() const { return context_.load() != nullptr; }

  /// Graceful stop: refuse new completions (503), wait for the engine to end or abort every
  /// in-flight request within `grace` (each stream gets its final chunk and [DONE]), wait for the
  /// handlers to finish writing, then close the listening socket. listen() returns afterwards.
  void shutdown(std::chrono::milliseconds grace);

  int32_t num_in_flight() const { return num_in_flight_.load(); }

 private:
  void install_routes();
  bool authorized(const httplib::Request& req) const;
  void completion_route(const httplib::Request& req, httplib::Response& res, Endpoint endpoint);

  HttpOptions options_;
  ServerMetrics& metrics_;
  httplib::Server server_;
  std::atomic<ServingContext*> context_{nullptr};
  std::atomic<bool> draining_{false};
  std::atomic<int32_t> num_in_flight_{0};
  uint64_t id_salt_ = 0;
  int listen_socket_ = -1;  // the bound socket, set by the socket-options hook
};

}  // namespace asc::server
