// The server under load and misbehaving clients, with the toy engine: queue full, a client that
// disconnects mid-stream, 64 concurrent streams, /metrics strictness, graceful shutdown.
#include <gtest/gtest.h>

#include <atomic>

#include "tests/server/prometheus_parser.h"
#include "tests/server/server_test_util.h"

namespace asc::server::toy {
namespace {

using nlohmann::json;

prom::Exposition scrape(const ToyServer& server) {
  auto res = server.client().Get("/metrics");
  prom::Exposition e;
  EXPECT_TRUE(res && res->status == 200);
  if (!res) return e;
  EXPECT_EQ(prom::parse_exposition(res->body, e), "") << res->body;
  EXPECT_EQ(prom::check_histograms(e), "");
  return e;
}

std::string stream_text(const StreamResult& s, std::string* finish = nullptr) {
  std::string text;
  for (const std::string& d : s.data) {
    if (d == "[DONE]") continue;
    json c = json::parse(d);
    if (c["choices"].empty()) continue;
    const json& ch = c["choices"][0];
    if (ch.contains("text")) text += ch["text"].get<std::string>();
    if (ch.contains("delta") && ch["delta"].contains("content")) text += ch["delta"]["content"].get<std::string>();
    if (finish && !ch["finish_reason"].is_null()) *finish = ch["finish_reason"];
  }
  return text;
}

TEST(HttpLoad, QueueFullIs503WithRetryAfterAndRunningRequestsFinish) {
  ToyOptions engine;
  engine.max_seqs = 1;   // one running, the rest wait
  engine.max_queue = 2;
  engine.step_time = std::chrono::microseconds(3000);
  ToyServer server(engine);
  std::atomic<int> first_tokens{0};
  std::vector<std::thread> clients;
  std::vector<StreamResult> results(3);
  for (int i = 0; i < 3; ++i) {
    clients.emplace_back([&, i] {
      results[i] = post_stream(server.port(), "/v1/completions", completion_body("q" + std::to_string(i), 30, true),
                               {}, [&](const StreamResult& s) {
                                 if (s.data.size() == 1) first_tokens++;
                                 return true;
                               });
    });
    if (i == 0) {  // the first one is running before the others queue behind it
      while (first_tokens.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  while (server.service().num_queued() < 2) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  auto t0 = std::chrono::steady_clock::now();
  auto res = server.client().Post("/v1/completions", completion_body("overflow", 5, false), "application/json");
  double waited_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(res->get_header_value("Retry-After"), "1");
  EXPECT_EQ(json::parse(res->body)["error"]["code"], "queue_full");
  EXPECT_LT(waited_s, 0.5);  // immediate, not after the queue drains
  for (auto& t : clients) t.join();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(stream_text(results[i]), reference_completion(server.codec(), "q" + std::to_string(i), 30));
  }
}

TEST(HttpLoad, DisconnectAbortsTheRequestAndFreesItsBlocks) {
  ToyOptions engine;
  engine.step_time = std::chrono::microseconds(5000);
  ToyServer server(engine);
  StreamResult s = post_stream(server.port(), "/v1/completions", completion_body("bye", 200, true), {},
                               [](const StreamResult& r) { return r.data.size() < 3; });
  EXPECT_LT(s.data.size(), 10u);
  // The engine notices within an iteration or two; KV blocks return to the pool.
  prom::Exposition e;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  do {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    e = scrape(server);
  } while ((e.sum("ascendra_client_disconnects_total") < 1 || e.sum("ascendra_requests_in_flight") > 0 ||
            e.sum("ascendra_kv_blocks_used") > 0) &&
           std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(e.sum("ascendra_client_disconnects_total"), 1);
  EXPECT_EQ(e.sum("ascendra_kv_blocks_used"), 0);
  EXPECT_EQ(e.sum("vllm:num_requests_running"), 0);
  EXPECT_EQ(e.sum("ascendra_requests_in_flight"), 0);
  EXPECT_GT(e.sum("ascendra_kv_blocks_total"), 0);
  // No more iterations run for it.
  double iterations = e.sum("ascendra_iterations_total");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(scrape(server).sum("ascendra_iterations_total"), iterations);
}

TEST(HttpLoad, SixtyFourConcurrentStreamsAreIndependent) {
  ToyOptions engine;
  engine.num_instances = 2;
  ToyServer server(engine);
  constexpr int kClients = 64;
  std::vector<std::string> texts(kClients), finishes(kClients), raw(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      bool chat = i % 2 == 0;
      std::string prompt = "client " + std::to_string(i * 7919);
      StreamResult s = post_stream(server.port(), chat ? "/v1/chat/completions" : "/v1/completions",
                                   chat ? chat_body(prompt, 12, true) : completion_body(prompt, 12, true));
      texts[i] = stream_text(s, &finishes[i]);
      raw[i] = "status " + std::to_string(s.status) + " " + s.error + ": " + s.raw.substr(0, 300);
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kClients; ++i) {
    std::string prompt = "client " + std::to_string(i * 7919);
    std::string expected = i % 2 == 0 ? reference_chat(server.codec(), prompt, 12)
                                      : reference_completion(server.codec(), prompt, 12);
    EXPECT_EQ(texts[i], expected) << "client " << i << " " << raw[i];
    EXPECT_EQ(finishes[i], "length") << "client " << i;
  }
  prom::Exposition e = scrape(server);
  EXPECT_EQ(e.sum("ascendra_requests_total"), kClients);
  EXPECT_EQ(e.sum("ascendra_num_requests_running"), 0);
  // Both instances served (round robin).
  EXPECT_GT(e.sum("ascendra_iterations_total", {{"instance", "0"}}), 0);
  EXPECT_GT(e.sum("ascendra_iterations_total", {{"instance", "1"}}), 0);
}

TEST(HttpLoad, MetricsParseStrictlyAndCountersMove) {
  ToyServer server;
  prom::Exposition before = scrape(server);
  for (const char* name : {"vllm:num_requests_running", "vllm:num_requests_waiting", "vllm:kv_cache_usage_perc",
                           "ascendra_pool_requests_running", "ascendra_kv_cache_usage_ratio"}) {
    EXPECT_TRUE(before.has(name)) << name;
  }
  EXPECT_EQ(before.sum("ascendra_requests_total"), 0);
  int total_completion = 0, total_prompt = 0;
  for (int i = 0; i < 3; ++i) {
    auto res = server.client().Post("/v1/completions", completion_body("count" + std::to_string(i), 4 + i, false,
                                                                       R"({"ttft_slo_ms":60000,"tbt_slo_ms":60000})"),
                                    "application/json");
    ASSERT_TRUE(res && res->status == 200);
    json u = json::parse(res->body)["usage"];
    total_completion += u["completion_tokens"].get<int>();
    total_prompt += u["prompt_tokens"].get<int>();
  }
  server.client().Post("/v1/completions", "{bad", "application/json");
  prom::Exposition e = scrape(server);
  EXPECT_EQ(e.types["ascendra_time_to_first_token_seconds"], "histogram");
  EXPECT_EQ(e.sum("ascendra_requests_total", {{"finish_reason", "length"}}), 3);
  EXPECT_EQ(e.sum("ascendra_generation_tokens_total"), total_completion);
  EXPECT_EQ(e.sum("vllm:generation_tokens_total"), total_completion);
  EXPECT_EQ(e.sum("vllm:prompt_tokens_total"), total_prompt);
  EXPECT_EQ(e.sum("ascendra_time_to_first_token_seconds_count"), 3);
  EXPECT_EQ(e.sum("vllm:time_to_first_token_seconds_count", {{"model_name", "toy"}}), 3);
  EXPECT_EQ(e.sum("vllm:e2e_request_latency_seconds_count"), 3);
  EXPECT_EQ(e.sum("ascendra_request_queue_time_seconds_count"), 3);
  EXPECT_EQ(e.sum("ascendra_inter_token_latency_seconds_count"), total_completion - 3);
  EXPECT_EQ(e.sum("ascendra_slo_met_total"), 3);
  EXPECT_EQ(e.sum("ascendra_requests_rejected_total", {{"code", "400"}}), 1);
  EXPECT_GT(e.sum("ascendra_iterations_total"), 0);
}

TEST(HttpLoad, ShutdownEndsOpenStreamsWithAFinalChunk) {
  ToyOptions engine;
  engine.step_time = std::chrono::microseconds(5000);
  auto server = std::make_unique<ToyServer>(engine);
  std::atomic<bool> started{false};
  StreamResult result;
  std::thread client([&] {
    result = post_stream(server->port(), "/v1/chat/completions", chat_body("long", 200, true), {},
                         [&](const StreamResult& s) {
                           if (s.data.size() >= 3) started = true;
                           return true;
                         });
  });
  while (!started.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  auto t0 = std::chrono::steady_clock::now();
  server->stop(std::chrono::milliseconds(20));
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 3.0);
  client.join();
  ASSERT_GE(result.data.size(), 2u);
  EXPECT_EQ(result.data.back(), "[DONE]");
  std::string finish;
  std::string text = stream_text(result, &finish);
  EXPECT_EQ(finish, "abort");
  EXPECT_LT(text.size(), 200u);
  EXPECT_EQ(text, reference_chat(server->codec(), "long", 200).substr(0, text.size()));
}

}  // namespace
}  // namespace asc::server::toy
