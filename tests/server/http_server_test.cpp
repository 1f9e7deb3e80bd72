// The HTTP layer end to end on loopback, with the toy engine (real Instance and vllm policy): the
// OpenAI shapes streaming and not, stop handling, and the bad-input matrix.
#include <gtest/gtest.h>

#include "tests/server/server_test_util.h"

namespace asc::server::toy {
namespace {

using nlohmann::json;

void expect_error_object(const httplib::Result& res, int status, const std::string& param = "") {
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, status) << res->body;
  json body = json::parse(res->body, nullptr, false);
  ASSERT_TRUE(body.is_object()) << res->body;
  ASSERT_TRUE(body.contains("error")) << res->body;
  const json& e = body["error"];
  EXPECT_TRUE(e["message"].is_string() && !e["message"].get<std::string>().empty());
  EXPECT_TRUE(e["type"].is_string());
  EXPECT_TRUE(e.contains("param") && e.contains("code"));
  if (!param.empty()) {
    EXPECT_EQ(e["param"], param) << res->body;
  }
}

/// Joins the streamed text and checks every chunk's shape; returns the finish_reason.
std::string collect_stream(const StreamResult& s, bool chat, std::string& text, json* usage = nullptr) {
  EXPECT_EQ(s.status, 200);
  EXPECT_EQ(s.content_type, "text/event-stream");
  EXPECT_FALSE(s.data.empty());
  if (s.data.empty()) return "";
  EXPECT_EQ(s.data.back(), "[DONE]");
  std::string finish, id;
  for (size_t i = 0; i + 1 < s.data.size(); ++i) {
    json c = json::parse(s.data[i]);
    EXPECT_EQ(c["object"], chat ? "chat.completion.chunk" : "text_completion");
    EXPECT_TRUE(c["created"].is_number_integer());
    EXPECT_EQ(c["model"], "toy");
    if (id.empty()) id = c["id"].get<std::string>();
    EXPECT_EQ(c["id"], id);  // one id for the whole stream
    if (c["choices"].empty()) {  // the include_usage chunk comes last
      if (usage) *usage = c["usage"];
      continue;
    }
    const json& choice = c["choices"][0];
    EXPECT_EQ(choice["index"], 0);
    if (chat) {
      if (i == 0) {
        EXPECT_EQ(choice["delta"]["role"], "assistant");
      }
      if (choice["delta"].contains("content")) text += choice["delta"]["content"].get<std::string>();
    } else {
      text += choice["text"].get<std::string>();
    }
    if (!choice["finish_reason"].is_null()) finish = choice["finish_reason"];
  }
  return finish;
}

TEST(HttpServer, ChatNonStreamingMatchesTheModel) {
  ToyServer server;
  auto res = server.client().Post("/v1/chat/completions", chat_body("hello", 10, false), "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  json body = json::parse(res->body);
  EXPECT_EQ(body["object"], "chat.completion");
  EXPECT_EQ(body["model"], "toy");
  EXPECT_EQ(body["choices"][0]["message"]["role"], "assistant");
  EXPECT_EQ(body["choices"][0]["message"]["content"], reference_chat(server.codec(), "hello", 10));
  EXPECT_EQ(body["choices"][0]["finish_reason"], "length");
  std::string rendered = *server.codec().render_chat({ChatMessage{"user", "hello"}});
  EXPECT_EQ(body["usage"]["prompt_tokens"], rendered.size());
  EXPECT_EQ(body["usage"]["completion_tokens"], 10);
  EXPECT_EQ(body["usage"]["total_tokens"], rendered.size() + 10);
}

TEST(HttpServer, StreamsChatAndCompletionsAsOpenAiChunks) {
  ToyServer server;
  std::string text;
  StreamResult chat = post_stream(server.port(), "/v1/chat/completions", chat_body("hi", 12, true));
  EXPECT_EQ(collect_stream(chat, true, text), "length");
  EXPECT_EQ(text, reference_chat(server.codec(), "hi", 12));

  text.clear();
  json usage;
  StreamResult comp = post_stream(server.port(), "/v1/completions",
                                  completion_body("The cat", 9, true, R"({"stream_options":{"include_usage":true}})"));
  EXPECT_EQ(collect_stream(comp, false, text, &usage), "length");
  EXPECT_EQ(text, reference_completion(server.codec(), "The cat", 9));
  EXPECT_EQ(usage["prompt_tokens"], 7);
  EXPECT_EQ(usage["completion_tokens"], 9);
}

TEST(HttpServer, EndOfGenerationGivesStopAndTokenPromptsWork) {
  ToyServer server;
  // The toy model emits EOS at position kEosPosition: a 90-token prompt stops after 6 tokens.
  std::vector<int> prompt(90);
  for (int i = 0; i < 90; ++i) prompt[i] = 'a' + i % 26;
  json body = {{"prompt", prompt}, {"max_tokens", 50}, {"temperature", 0}};
  auto res = server.client().Post("/v1/completions", body.dump(), "application/json");
  ASSERT_TRUE(res && res->status == 200) << (res ? res->body : "no response");
  json out = json::parse(res->body);
  EXPECT_EQ(out["choices"][0]["finish_reason"], "stop");
  std::vector<int32_t> ids(prompt.begin(), prompt.end());
  EXPECT_EQ(out["choices"][0]["text"], reference_output(ids, 50));
  EXPECT_EQ(out["choices"][0]["text"].get<std::string>().size(), size_t(kEosPosition - 90));
}

TEST(HttpServer, StopStringsAreCutAndEndTheRequest) {
  ToyServer server;
  std::string full = reference_completion(server.codec(), "stop test", 40);
  std::string stop = full.substr(10, 3);
  std::string expected = full.substr(0, full.find(stop));
  std::string extra = json{{"stop", {stop, "never-appears"}}}.dump();
  auto res = server.client().Post("/v1/completions", completion_body("stop test", 40, false, extra),
                                  "application/json");
  ASSERT_TRUE(res && res->status == 200);
  json out = json::parse(res->body);
  EXPECT_EQ(out["choices"][0]["text"], expected);
  EXPECT_EQ(out["choices"][0]["finish_reason"], "stop");
  EXPECT_LT(out["usage"]["completion_tokens"].get<int>(), 40);

  std::string text;
  StreamResult s = post_stream(server.port(), "/v1/completions", completion_body("stop test", 40, true, extra));
  EXPECT_EQ(collect_stream(s, false, text), "stop");
  EXPECT_EQ(text, expected);
}

TEST(HttpServer, BadInputMatrix) {
  HttpOptions http;
  http.max_body_bytes = 64 * 1024;
  ToyServer server({}, http);
  auto cli = server.client();
  const char* kJson = "application/json";
  expect_error_object(cli.Post("/v1/chat/completions", "{\"messages\": [", kJson), 400);
  expect_error_object(cli.Post("/v1/chat/completions", R"({"messages":[{"role":"user","content":7}]})", kJson), 400, "messages");
  expect_error_object(cli.Post("/v1/chat/completions", R"({"messages":[]})", kJson), 400, "messages");
  expect_error_object(cli.Post("/v1/chat/completions", chat_body("x", 4, false, R"({"model":"gpt-9"})"), kJson), 400, "model");
  expect_error_object(cli.Post("/v1/completions", completion_body(std::string(300, 'a'), 4, false), kJson), 400, "prompt");
  expect_error_object(cli.Post("/v1/completions", completion_body("abc", 1000, false), kJson), 400, "max_tokens");
  expect_error_object(cli.Post("/v1/completions", completion_body("abc", 0, false), kJson), 400, "max_tokens");
  expect_error_object(cli.Post("/v1/completions", completion_body("abc", 4, false, R"({"n":2})"), kJson), 400, "n");
  expect_error_object(cli.Post("/v1/completions", completion_body("abc", 4, false, R"({"temperature":"x"})"), kJson), 400, "temperature");
  expect_error_object(cli.Post("/v1/completions", R"({"prompt":[1, 999999]})", kJson), 400, "prompt");
  expect_error_object(cli.Get("/v1/nothing"), 404);
  expect_error_object(cli.Post("/v2/completions", "{}", kJson), 404);
  expect_error_object(cli.Post("/v1/completions", std::string(100 * 1024, ' '), kJson), 413);
  // The server is unharmed: a good request still works.
  auto ok = cli.Post("/v1/completions", completion_body("abc", 3, false), kJson);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
}

TEST(HttpServer, ApiKeyIsRequiredWhenSet) {
  HttpOptions http;
  http.api_key = "sekrit";
  ToyServer server({}, http);
  auto cli = server.client();
  expect_error_object(cli.Post("/v1/completions", completion_body("a", 2, false), "application/json"), 401);
  expect_error_object(cli.Post("/v1/completions", {{"Authorization", "Bearer wrong"}},
                               completion_body("a", 2, false), "application/json"), 401);
  expect_error_object(cli.Get("/v1/models"), 401);
  auto ok = cli.Post("/v1/completions", {{"Authorization", "Bearer sekrit"}}, completion_body("a", 2, false),
                     "application/json");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  auto health = cli.Get("/health");  // probes stay open
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

TEST(HttpServer, HealthIs503UntilReadyAndModelsListsTheModel) {
  ToyServer server({}, {}, /*ready=*/false);
  auto cli = server.client();
  auto h = cli.Get("/health");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 503);
  expect_error_object(cli.Post("/v1/completions", completion_body("a", 2, false), "application/json"), 503);
  server.set_ready();
  h = cli.Get("/health");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  auto models = cli.Get("/v1/models");
  ASSERT_TRUE(models && models->status == 200);
  json m = json::parse(models->body);
  EXPECT_EQ(m["object"], "list");
  EXPECT_EQ(m["data"][0]["id"], "toy");
  EXPECT_EQ(m["data"][0]["object"], "model");
}

}  // namespace
}  // namespace asc::server::toy
