// The real `ascendra serve` binary on the default model, over loopback: every endpoint, the SSE
// stream, 64 concurrent streams against each prompt run alone, a disconnect, SIGTERM -> exit 0.
// Skips when the binary or the model is absent.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "tests/server/free_port.h"
#include "tests/server/prometheus_parser.h"
#include "tests/server/server_test_util.h"

extern char** environ;

namespace asc::server {
namespace {

using nlohmann::json;
using toy::post_stream;

const std::string kBinary = std::string(ASC_BINARY_DIR) + "/ascendra";
const std::string kModel = std::string(ASC_SOURCE_DIR) + "/models/SmolLM2-135M-Instruct.Q4_1.gguf";

class ServeProcess {
 public:
  /// Spawns the server and waits until /health says ready; false (with a failure) otherwise.
  bool start(std::vector<std::string> extra) {
    port_ = free_port();
    std::vector<std::string> args = {kBinary, "serve", "-m", kModel, "--port", std::to_string(port_),
                                     "--threads", "2", "--ctx-size", "512", "--served-model-name", "smol"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, kBinary.c_str(), nullptr, nullptr, argv.data(), environ) != 0) {
      ADD_FAILURE() << "cannot spawn " << kBinary;
      return false;
    }
    httplib::Client cli("127.0.0.1", port_);
    cli.set_connection_timeout(1, 0);
    cli.set_read_timeout(2, 0);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);  // model load
    while (std::chrono::steady_clock::now() < deadline) {
      auto res = cli.Get("/health");
      if (res && res->status == 200) return true;
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {  // it failed to start (bind, load): say so
        pid_ = -1;
        ADD_FAILURE() << "ascendra serve exited during start-up (status " << status << ")";
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "server did not become ready within 60 s";
    return false;
  }
  ~ServeProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  /// Sends SIGTERM and returns the exit status (-1 when it did not exit normally within 20 s).
  int terminate() {
    kill(pid_, SIGTERM);
    for (int i = 0; i < 2000; ++i) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
  }
  int port() const { return port_; }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(60, 0);
    return c;
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

bool prerequisites(std::string& why) {
  if (!std::filesystem::exists(kBinary)) why = "no " + kBinary + " (build the ascendra target)";
  else if (!std::filesystem::exists(kModel)) why = "no model " + kModel + " (scripts/fetch-models.sh)";
  return why.empty();
}

std::string joined(const toy::StreamResult& s, std::string* finish = nullptr) {
  std::string text;
  for (const std::string& d : s.data) {
    if (d == "[DONE]") continue;
    json c = json::parse(d);
    if (c["choices"].empty()) continue;
    const json& ch = c["choices"][0];
    if (ch.contains("delta") && ch["delta"].contains("content")) text += ch["delta"]["content"].get<std::string>();
    if (ch.contains("text")) text += ch["text"].get<std::string>();
    if (finish && !ch["finish_reason"].is_null()) *finish = ch["finish_reason"];
  }
  return text;
}

std::string chat(const std::string& user, int max_tokens, bool stream) {
  return json{{"model", "smol"}, {"messages", {{{"role", "user"}, {"content", user}}}},
              {"max_tokens", max_tokens}, {"temperature", 0}, {"stream", stream}}.dump();
}

TEST(ServeBinary, EndpointsStreamingAndSigterm) {
  std::string why;
  if (!prerequisites(why)) GTEST_SKIP() << why;
  ServeProcess server;
  ASSERT_TRUE(server.start({}));
  auto cli = server.client();
  auto models = cli.Get("/v1/models");
  ASSERT_TRUE(models && models->status == 200);
  EXPECT_EQ(json::parse(models->body)["data"][0]["id"], "smol");
  auto whole = cli.Post("/v1/chat/completions", chat("Name a color.", 8, false), "application/json");
  ASSERT_TRUE(whole && whole->status == 200) << (whole ? whole->body : "");
  json w = json::parse(whole->body);
  std::string finish;
  toy::StreamResult s = post_stream(server.port(), "/v1/chat/completions", chat("Name a color.", 8, true));
  EXPECT_EQ(s.status, 200);
  EXPECT_EQ(s.data.back(), "[DONE]");
  EXPECT_EQ(joined(s, &finish), w["choices"][0]["message"]["content"]);
  EXPECT_EQ(finish, w["choices"][0]["finish_reason"]);
  auto comp = cli.Post("/v1/completions", R"({"prompt":"Once upon a time","max_tokens":5,"temperature":0})",
                       "application/json");
  ASSERT_TRUE(comp && comp->status == 200);
  EXPECT_EQ(json::parse(comp->body)["usage"]["completion_tokens"], 5);
  auto too_long = cli.Post("/v1/completions", json{{"prompt", std::string(20000, 'x')}}.dump(), "application/json");
  ASSERT_TRUE(too_long);
  EXPECT_EQ(too_long->status, 400);
  auto metrics = cli.Get("/metrics");
  ASSERT_TRUE(metrics && metrics->status == 200);
  prom::Exposition e;
  ASSERT_EQ(prom::parse_exposition(metrics->body, e), "");
  EXPECT_EQ(e.sum("ascendra_requests_total"), 3);
  EXPECT_GT(e.sum("vllm:kv_cache_usage_perc") + 1.0, 0.0);
  EXPECT_EQ(server.terminate(), 0);
}

TEST(ServeBinary, SixtyFourConcurrentStreamsMatchSoloRuns) {
  std::string why;
  if (!prerequisites(why)) GTEST_SKIP() << why;
  ServeProcess server;
  ASSERT_TRUE(server.start({"--max-seqs", "64"}));
  constexpr int kPrompts = 16, kClients = 64, kTokens = 8;
  std::vector<std::string> solo(kPrompts);
  for (int p = 0; p < kPrompts; ++p) {
    solo[p] = joined(post_stream(server.port(), "/v1/chat/completions",
                                 chat("Tell me about the number " + std::to_string(p * 37), kTokens, true)));
  }
  std::vector<std::string> got(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      got[i] = joined(post_stream(server.port(), "/v1/chat/completions",
                                  chat("Tell me about the number " + std::to_string((i % kPrompts) * 37), kTokens, true)));
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kClients; ++i) EXPECT_EQ(got[i], solo[i % kPrompts]) << "client " << i;
  EXPECT_EQ(server.terminate(), 0);
}

TEST(ServeBinary, DisconnectFreesKvBlocks) {
  std::string why;
  if (!prerequisites(why)) GTEST_SKIP() << why;
  ServeProcess server;
  ASSERT_TRUE(server.start({}));
  toy::StreamResult s = post_stream(server.port(), "/v1/completions",
                                    R"({"prompt":"Write a long story.","max_tokens":400,"ignore_eos":true,"stream":true})",
                                    {}, [](const toy::StreamResult& r) { return r.data.size() < 3; });
  prom::Exposition e;
  for (int i = 0; i < 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    auto m = server.client().Get("/metrics");
    e = prom::Exposition{};
    ASSERT_TRUE(m && prom::parse_exposition(m->body, e).empty());
    if (e.sum("ascendra_client_disconnects_total") >= 1 && e.sum("ascendra_kv_blocks_used") == 0) break;
  }
  EXPECT_EQ(e.sum("ascendra_client_disconnects_total"), 1);
  EXPECT_EQ(e.sum("ascendra_kv_blocks_used"), 0);
  EXPECT_LT(e.sum("ascendra_generation_tokens_total"), 400);
  EXPECT_EQ(server.terminate(), 0);
}

}  // namespace
}  // namespace asc::server
