// Request parsing: the accepted shapes of OpenAI bodies, and every rejection names its field.
#include <gtest/gtest.h>

#include "server/openai_request.h"
#include "server/openai_response.h"

namespace asc::server {
namespace {

CompletionParams parse_ok(const std::string& body, Endpoint e = Endpoint::kChat) {
  CompletionParams p;
  auto err = parse_completion_request(body, e, p);
  EXPECT_FALSE(err.has_value()) << body << " -> " << (err ? err->message : "");
  return p;
}

std::string rejected_param(const std::string& body, Endpoint e = Endpoint::kChat) {
  CompletionParams p;
  auto err = parse_completion_request(body, e, p);
  if (!err) return "<accepted>";
  EXPECT_EQ(err->http_status, 400);
  EXPECT_FALSE(err->message.empty());
  return err->param;
}

TEST(OpenAiRequest, ParsesChatWithAllFields) {
  CompletionParams p = parse_ok(R"({"model":"m","messages":[{"role":"system","content":"be brief"},
      {"role":"user","content":[{"type":"text","text":"hi "},{"type":"text","text":"there"}]}],
      "max_completion_tokens":7,"temperature":0.5,"top_p":0.9,"top_k":40,"min_p":0.05,"seed":42,
      "stop":["\n","END"],"n":1,"stream":true,"stream_options":{"include_usage":true},
      "ignore_eos":true,"ttft_slo_ms":250,"tbt_slo_ms":50,"priority":2})");
  EXPECT_EQ(p.model, "m");
  ASSERT_EQ(p.messages.size(), 2u);
  EXPECT_EQ(p.messages[1].content, "hi there");
  EXPECT_EQ(*p.max_tokens, 7);
  EXPECT_FLOAT_EQ(p.sampling.temperature, 0.5f);
  EXPECT_FLOAT_EQ(p.sampling.top_p, 0.9f);
  EXPECT_EQ(p.sampling.top_k, 40);
  EXPECT_FLOAT_EQ(p.sampling.min_p, 0.05f);
  EXPECT_TRUE(p.has_seed);
  EXPECT_EQ(p.sampling.seed, 42u);
  EXPECT_EQ(p.stop, (std::vector<std::string>{"\n", "END"}));
  EXPECT_TRUE(p.stream && p.include_usage && p.ignore_eos);
  EXPECT_DOUBLE_EQ(*p.ttft_slo_ms, 250.0);
  EXPECT_DOUBLE_EQ(*p.tbt_slo_ms, 50.0);
  EXPECT_EQ(p.priority, 2);
}

TEST(OpenAiRequest, ParsesCompletionPromptShapes) {
  EXPECT_EQ(parse_ok(R"({"prompt":"abc","max_tokens":3})", Endpoint::kCompletion).prompt_text, "abc");
  EXPECT_EQ(parse_ok(R"({"prompt":["abc"]})", Endpoint::kCompletion).prompt_text, "abc");
  CompletionParams p = parse_ok(R"({"prompt":[1,2,300],"stop":"x"})", Endpoint::kCompletion);
  EXPECT_TRUE(p.prompt_is_tokens);
  EXPECT_EQ(p.prompt_tokens, (std::vector<int32_t>{1, 2, 300}));
  EXPECT_EQ(p.stop, (std::vector<std::string>{"x"}));
  EXPECT_FLOAT_EQ(p.sampling.temperature, 1.0f);  // OpenAI's default
}

TEST(OpenAiRequest, RejectsBadInputNamingTheField) {
  EXPECT_EQ(rejected_param("{not json"), "");
  EXPECT_EQ(rejected_param("[1,2]"), "");
  EXPECT_EQ(rejected_param(R"({"messages":[]})"), "messages");
  EXPECT_EQ(rejected_param(R"({"messages":"hi"})"), "messages");
  EXPECT_EQ(rejected_param(R"({"messages":[{"role":"robot","content":"x"}]})"), "messages");
  EXPECT_EQ(rejected_param(R"({"messages":[{"role":"user","content":[{"type":"image_url"}]}]})"), "messages");
  const std::string m = R"("messages":[{"role":"user","content":"x"}])";
  EXPECT_EQ(rejected_param("{" + m + R"(,"model":5})"), "model");
  EXPECT_EQ(rejected_param("{" + m + R"(,"temperature":"hot"})"), "temperature");
  EXPECT_EQ(rejected_param("{" + m + R"(,"temperature":3})"), "temperature");
  EXPECT_EQ(rejected_param("{" + m + R"(,"top_p":0})"), "top_p");
  EXPECT_EQ(rejected_param("{" + m + R"(,"max_tokens":0})"), "max_tokens");
  EXPECT_EQ(rejected_param("{" + m + R"(,"max_tokens":2.5})"), "max_tokens");
  EXPECT_EQ(rejected_param("{" + m + R"(,"max_tokens":-4})"), "max_tokens");
  EXPECT_EQ(rejected_param("{" + m + R"(,"n":2})"), "n");
  EXPECT_EQ(rejected_param("{" + m + R"(,"stop":[1]})"), "stop");
  EXPECT_EQ(rejected_param("{" + m + R"(,"stream":"yes"})"), "stream");
  EXPECT_EQ(rejected_param("{" + m + R"(,"ttft_slo_ms":-1})"), "ttft_slo_ms");
  EXPECT_EQ(rejected_param(R"({"prompt":""})", Endpoint::kCompletion), "prompt");
  EXPECT_EQ(rejected_param(R"({"prompt":[-1]})", Endpoint::kCompletion), "prompt");
  EXPECT_EQ(rejected_param(R"({"prompt":{}})", Endpoint::kCompletion), "prompt");
  EXPECT_EQ(rejected_param(R"({"max_tokens":3})", Endpoint::kCompletion), "prompt");
}

TEST(OpenAiRequest, NTwoSaysOnlyOneIsSupported) {
  CompletionParams p;
  auto err = parse_completion_request(R"({"prompt":"x","n":3})", Endpoint::kCompletion, p);
  ASSERT_TRUE(err.has_value());
  EXPECT_NE(err->message.find("n = 1"), std::string::npos);
}

TEST(OpenAiRequest, SloHeadersFillOnlyMissingFields) {
  CompletionParams p = parse_ok(R"({"prompt":"x","ttft_slo_ms":100})", Endpoint::kCompletion);
  EXPECT_FALSE(apply_slo_headers("900", "40", p).has_value());
  EXPECT_DOUBLE_EQ(*p.ttft_slo_ms, 100.0);  // the body wins
  EXPECT_DOUBLE_EQ(*p.tbt_slo_ms, 40.0);
  CompletionParams q = parse_ok(R"({"prompt":"x"})", Endpoint::kCompletion);
  auto err = apply_slo_headers("soon", "", q);
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->param, "x-slo-ttft-ms");
}

TEST(OpenAiResponse, ChunkAndObjectShapes) {
  ResponseHeader h{Endpoint::kChat, "chatcmpl-1", 1700000000, "m"};
  auto first = chunk_object(h, std::string(), std::nullopt, true, false);
  EXPECT_EQ(first["object"], "chat.completion.chunk");
  EXPECT_EQ(first["choices"][0]["delta"]["role"], "assistant");
  EXPECT_TRUE(first["choices"][0]["finish_reason"].is_null());
  auto last = chunk_object(h, std::nullopt, std::string("length"), false, true);
  EXPECT_TRUE(last["choices"][0]["delta"].is_object() && last["choices"][0]["delta"].empty());
  EXPECT_EQ(last["choices"][0]["finish_reason"], "length");
  EXPECT_TRUE(last.contains("usage") && last["usage"].is_null());
  auto usage = usage_chunk(h, Usage{5, 3});
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_EQ(usage["usage"]["total_tokens"], 8);
  ResponseHeader c{Endpoint::kCompletion, "cmpl-1", 1, "m"};
  auto full = completion_object(c, "abc", "stop", Usage{2, 3});
  EXPECT_EQ(full["object"], "text_completion");
  EXPECT_EQ(full["choices"][0]["text"], "abc");
  EXPECT_EQ(sse_event(nlohmann::json{{"a", 1}}), "data: {\"a\":1}\n\n");
  EXPECT_EQ(sse_done(), "data: [DONE]\n\n");
}

}  // namespace
}  // namespace asc::server
