// The real `ascendra serve` binary on the default model, over loopback: every endpoint, the SSE
// stream, 64 concurrent streams against each prompt run alone, a disconnect, SIGTERM -> exit 0.
// Skips when the binary or the model is absent.
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "tests/server/prometheus_parser.h"
#include "tests/server/serve_process.h"
#include "tests/server/server_test_util.h"

namespace asc::server {
namespace {

using nlohmann::json;
using toy::post_stream;

/// Starts `ascendra serve` on the default model with this file's common flags and `extra` and waits
/// for it (60 s: the model load); false, with a test failure, otherwise.
bool start(ServeProcess& server, const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"--threads", "2", "--ctx-size", "512", "--served-model-name", "smol"};
  args.insert(args.end(), extra.begin(), extra.end());
  return server.spawn(kServeBinary, kServeModel, args) && server.wait_ready(60);
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
  if (!serve_prerequisites(why)) GTEST_SKIP() << why;
  ServeProcess server;
  ASSERT_TRUE(start(server, {}));
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
  if (!serve_prerequisites(why)) GTEST_SKIP() << why;
  ServeProcess server;
  ASSERT_TRUE(start(server, {"--max-seqs", "64"}));
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
  if (!serve_prerequisites(why)) GTEST_SKIP() << why;
  ServeProcess server;
  ASSERT_TRUE(start(server, {}));
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
