// A small OpenAI-style SSE server for the bench tests, with fixed token timing and scripted faults.
//
// Behaviour is chosen by the request's max_tokens:
//   kErrorMaxTokens  -> HTTP 500 with a JSON error body
//   kDropMaxTokens   -> two tokens, then the connection is closed without [DONE]
//   kMidErrorTokens  -> one token, then an SSE error event
//   otherwise        -> first token after first_token_delay, then one token per gap; usage + [DONE]
// Each handled request's server-side arrival and first-write times are recorded by x-request-id.
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace asc::server::testing {

inline constexpr int kErrorMaxTokens = 7;
inline constexpr int kDropMaxTokens = 9;
inline constexpr int kMidErrorTokens = 11;
inline constexpr int kChatOverhead = 12;
inline constexpr int kLoadingHealthCalls = 2;  // GET /health answers 503 this many times first

class BenchTestServer {
 public:
  BenchTestServer(std::chrono::milliseconds first_token_delay, std::chrono::milliseconds gap)
      : first_token_delay_(first_token_delay), gap_(gap) {
    // httplib takes ownership of the queue it is handed; one server thread per keep-alive client.
    server_.new_task_queue = [] { return new httplib::ThreadPool(64); };  // NOLINT(owning new)
    server_.set_tcp_nodelay(true);  // else Nagle + delayed ACK stall small SSE writes by ~40 ms
    server_.Get("/v1/models", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"object":"list","data":[{"id":"test-model","meta":{"n_vocab":5000}}]})",
                      "application/json");
    });
    server_.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
      const bool loading = health_calls_.fetch_add(1) < kLoadingHealthCalls;  // "loading" at first
      res.status = loading ? 503 : 200;
      res.set_content(loading ? R"({"status":"loading"})" : R"({"status":"ok"})", "application/json");
    });
    server_.Post("/v1/completions", [this](const httplib::Request& req, httplib::Response& res) {
      handle(req, res, /*chat=*/false);
    });
    server_.Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
      handle(req, res, /*chat=*/true);
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~BenchTestServer() {
    server_.stop();
    thread_.join();
  }
  BenchTestServer(const BenchTestServer&) = delete;
  BenchTestServer& operator=(const BenchTestServer&) = delete;

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  /// Server-side timeline of one request, seconds on the steady clock the bench uses.
  struct Timeline {
    double entry_s = 0.0;             // handler entry
    std::vector<double> writes_s;     // [tokens] time each token chunk was written
  };
  std::map<std::string, Timeline> timelines() {
    std::lock_guard<std::mutex> lock(mutex_);
    return timelines_;
  }
  /// Bodies received, by x-request-id.
  std::map<std::string, nlohmann::json> bodies() {
    std::lock_guard<std::mutex> lock(mutex_);
    return bodies_;
  }

 private:
  static std::string chunk(bool chat, const std::string& text) {
    nlohmann::json c;
    if (chat) {
      c = {{"object", "chat.completion.chunk"}, {"choices", {{{"index", 0}, {"delta", {{"content", text}}}}}}};
    } else {
      c = {{"object", "text_completion"}, {"choices", {{{"index", 0}, {"text", text}}}}};
    }
    return "data: " + c.dump() + "\n\n";
  }

  // Completions: the number of ids. Chat: one token per word plus a template overhead of
  // kChatOverhead, like a real chat template.
  static int prompt_tokens(const nlohmann::json& body) {
    if (!body.is_object()) return 0;
    if (body.contains("prompt") && body["prompt"].is_array()) return static_cast<int>(body["prompt"].size());
    if (!body.contains("messages")) return 0;
    const std::string text = body["messages"][0].value("content", std::string());
    int words = text.empty() ? 0 : 1;
    for (char c : text) words += c == ' ' ? 1 : 0;
    return words + kChatOverhead;
  }

  static double now_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  }

  void note_write(const std::string& id) {
    std::lock_guard<std::mutex> lock(mutex_);
    timelines_[id].writes_s.push_back(now_s());
  }

  void handle(const httplib::Request& req, httplib::Response& res, bool chat) {
    nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
    const std::string id = req.get_header_value("x-request-id");
    {
      std::lock_guard<std::mutex> lock(mutex_);
      bodies_[id] = body;
      timelines_[id].entry_s = now_s();
    }
    const int n = body.is_object() ? body.value("max_tokens", 1) : 1;
    if (n == kErrorMaxTokens) {
      res.status = 500;
      res.set_content(R"({"error":{"message":"scripted failure"}})", "application/json");
      return;
    }
    const int prompt = prompt_tokens(body);
    if (body.is_object() && !body.value("stream", false)) {  // the bench's calibration probe
      res.set_content(nlohmann::json{{"usage", {{"prompt_tokens", prompt}, {"completion_tokens", 1}}}}.dump(),
                      "application/json");
      return;
    }
    res.set_chunked_content_provider("text/event-stream", [this, n, chat, prompt, id](size_t, httplib::DataSink& sink) {
      std::this_thread::sleep_for(first_token_delay_);
      for (int i = 0; i < n; ++i) {
        if (i > 0) std::this_thread::sleep_for(gap_);
        const std::string c = chunk(chat, " tok");
        note_write(id);
        if (!sink.write(c.data(), c.size())) return false;
        if (n == kDropMaxTokens && i == 1) return false;  // close mid-stream
        if (n == kMidErrorTokens) {
          const std::string e = "data: {\"error\":{\"message\":\"engine failed\"}}\n\n";
          sink.write(e.data(), e.size());
          sink.done();
          return true;
        }
      }
      const std::string usage = "data: " + nlohmann::json{{"choices", nlohmann::json::array()},
          {"usage", {{"prompt_tokens", prompt}, {"completion_tokens", n}}}}.dump() + "\n\n";
      sink.write(usage.data(), usage.size());
      const std::string done = "data: [DONE]\n\n";
      sink.write(done.data(), done.size());
      sink.done();
      return true;
    });
  }

  std::chrono::milliseconds first_token_delay_;
  std::chrono::milliseconds gap_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mutex_;
  std::map<std::string, nlohmann::json> bodies_;
  std::map<std::string, Timeline> timelines_;
  std::atomic<int> health_calls_{0};
};

}  // namespace asc::server::testing
