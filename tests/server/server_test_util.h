// Test helpers: an in-process server (HttpServer + toy engine on a loopback port) and a small SSE
// client built on httplib's streaming receiver.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "server/http_server.h"
#include "tests/server/toy_engine.h"

namespace asc::server::toy {

inline constexpr int32_t kToyCtx = 256;

class ToyServer {
 public:
  explicit ToyServer(ToyOptions engine = {}, HttpOptions http = {}, bool ready = true)
      : metrics_("toy") {
    http.served_model_name = "toy";
    server_ = std::make_unique<HttpServer>(http, metrics_);
    auto port = server_->bind("127.0.0.1", 0);
    ASC_CHECK(port.is_ok());
    port_ = *port;
    service_ = make_toy_service(engine, clock_, kToyCtx);
    context_ = std::make_unique<ServingContext>(ServingContext{*service_, codec_, ModelLimits{"toy", kToyCtx}});
    if (ready) server_->set_ready(context_.get());
    thread_ = std::thread([this] { server_->listen(); });
  }
  ~ToyServer() { stop(std::chrono::milliseconds(0)); }

  void set_ready() { server_->set_ready(context_.get()); }
  void stop(std::chrono::milliseconds grace) {
    if (!thread_.joinable()) return;
    server_->shutdown(grace);
    thread_.join();
  }
  int port() const { return port_; }
  EngineService& service() { return *service_; }
  const ByteCodec& codec() const { return codec_; }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(20, 0);
    return c;
  }

 private:
  WallClock clock_;
  ByteCodec codec_;
  ServerMetrics metrics_;
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<EngineService> service_;
  std::unique_ptr<ServingContext> context_;
  int port_ = 0;
  std::thread thread_;
};

struct StreamResult {
  int status = 0;
  std::string content_type;
  std::vector<std::string> data;  // payloads of "data:" lines, in order ("[DONE]" included)
  std::string raw;
  std::string error;  // transport error, when the request failed before a response
};

/// POSTs `body` and collects the SSE events. `keep_reading(events so far)` returning false closes
/// the connection (a client going away mid-stream).
inline StreamResult post_stream(int port, const std::string& path, const std::string& body,
                                httplib::Headers headers = {},
                                std::function<bool(const StreamResult&)> keep_reading = nullptr) {
  httplib::Client cli("127.0.0.1", port);
  cli.set_read_timeout(20, 0);
  StreamResult out;
  std::string buffer;
  httplib::Request req;
  req.method = "POST";
  req.path = path;
  req.headers = headers;
  req.body = body;
  req.set_header("Content-Type", "application/json");
  req.response_handler = [&](const httplib::Response& res) {
    out.status = res.status;
    out.content_type = res.get_header_value("Content-Type");
    return true;
  };
  req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
    out.raw.append(data, n);
    buffer.append(data, n);
    size_t end;
    while ((end = buffer.find("\n\n")) != std::string::npos) {
      std::string event = buffer.substr(0, end);
      buffer.erase(0, end + 2);
      if (event.rfind("data: ", 0) == 0) out.data.push_back(event.substr(6));
    }
    return !keep_reading || keep_reading(out);
  };
  auto res = cli.send(req);
  if (res && out.status == 0) out.status = res->status;
  if (!res) out.error = httplib::to_string(res.error());
  return out;
}

inline std::string chat_body(const std::string& user, int max_tokens, bool stream,
                             const std::string& extra = "") {
  nlohmann::json body = {{"model", "toy"},
                         {"messages", {{{"role", "user"}, {"content", user}}}},
                         {"max_tokens", max_tokens},
                         {"temperature", 0},
                         {"stream", stream}};
  if (!extra.empty()) body.update(nlohmann::json::parse(extra));
  return body.dump();
}

inline std::string completion_body(const std::string& prompt, int max_tokens, bool stream,
                                   const std::string& extra = "") {
  nlohmann::json body = {{"model", "toy"}, {"prompt", prompt}, {"max_tokens", max_tokens},
                         {"temperature", 0}, {"stream", stream}};
  if (!extra.empty()) body.update(nlohmann::json::parse(extra));
  return body.dump();
}

/// The toy model's output for a chat request with one user message.
inline std::string reference_chat(const ByteCodec& codec, const std::string& user, int max_tokens) {
  std::string rendered = *codec.render_chat({ChatMessage{"user", user}});
  return reference_output(*codec.encode(rendered, true), max_tokens);
}

inline std::string reference_completion(const ByteCodec& codec, const std::string& prompt, int max_tokens) {
  return reference_output(*codec.encode(prompt, false), max_tokens);
}

}  // namespace asc::server::toy
