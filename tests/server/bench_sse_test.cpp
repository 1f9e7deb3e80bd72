// Bench building blocks: SSE framing at every split point, chunk tracking, prompts, URL and sweep.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "engine/model/gguf.h"
#include "engine/model/tokenizer.h"
#include "server/bench_http.h"
#include "server/bench_options.h"
#include "server/bench_prompt.h"
#include "server/bench_sse.h"

namespace asc::server {
namespace {

std::vector<std::string> parse_all(const std::vector<std::string>& pieces) {
  SseParser parser;
  std::vector<std::string> events;
  auto on = [&](std::string_view d) { events.emplace_back(d); };
  for (const std::string& p : pieces) parser.feed(p, on);
  parser.finish(on);
  return events;
}

TEST(BenchSseTest, EventsSurviveEverySplitPoint) {
  const std::string stream =
      ": ping\r\n\r\ndata: {\"a\":1}\r\n\r\ndata:{\"b\":2}\n\nevent: x\ndata: line1\ndata: line2\n\r\n"
      "data: [DONE]\n\n";
  const std::vector<std::string> expected = {"{\"a\":1}", "{\"b\":2}", "line1\nline2", "[DONE]"};
  EXPECT_EQ(parse_all({stream}), expected);
  for (size_t cut = 1; cut < stream.size(); ++cut) {
    EXPECT_EQ(parse_all({stream.substr(0, cut), stream.substr(cut)}), expected) << "cut at " << cut;
  }
  std::vector<std::string> bytes;
  for (char c : stream) bytes.emplace_back(1, c);
  EXPECT_EQ(parse_all(bytes), expected);
}

TEST(BenchSseTest, UnterminatedFinalEventIsDelivered) {
  EXPECT_EQ(parse_all({"data: last"}), std::vector<std::string>{"last"});
  EXPECT_TRUE(parse_all({": only a comment\n"}).empty());
}

TEST(BenchSseTest, TrackerCountsContentChunksAndUsage) {
  StreamTracker t;
  t.on_event(R"({"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]})", 1.0);  // role only
  t.on_event(R"({"choices":[{"index":0,"delta":{"content":"Hi"}}]})", 1.5);
  t.on_event(R"({"choices":[{"index":0,"text":" there"}]})", 1.75);
  t.on_event(R"({"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":3}})", 1.8);
  EXPECT_FALSE(t.done());
  t.on_event("[DONE]", 1.9);
  EXPECT_TRUE(t.done());
  EXPECT_EQ(t.token_times_s(), (std::vector<double>{1.5, 1.75}));
  EXPECT_EQ(t.usage_completion_tokens(), 3);
  EXPECT_EQ(t.usage_prompt_tokens(), 12);
  EXPECT_TRUE(t.error().empty());
}

TEST(BenchSseTest, TrackerRecordsErrors) {
  StreamTracker t;
  t.on_event(R"({"error":{"message":"boom"}})", 1.0);
  EXPECT_NE(t.error().find("boom"), std::string::npos);
  StreamTracker u;
  u.on_event("{not json", 1.0);
  EXPECT_NE(u.error().find("unparsable"), std::string::npos);
  StreamTracker v;
  v.on_event(R"([1,2])", 1.0);
  v.on_event(R"({"choices":"weird","usage":{"completion_tokens":"x"}})", 1.0);
  EXPECT_TRUE(v.token_times_s().empty());
  EXPECT_FALSE(v.usage_completion_tokens().has_value());
}

TEST(BenchPromptTest, TokenIdsAreDeterministicAndInTheSafeRange) {
  const PromptFactory f(42, 49152, ChatCalibration{});
  EXPECT_EQ(f.first_token_id(), kFirstSafeTokenId);
  EXPECT_EQ(f.end_token_id(), kMaxSafeTokenId);
  const std::vector<int32_t> a = f.token_ids(3, 500);
  ASSERT_EQ(a.size(), 500u);
  EXPECT_EQ(a, f.token_ids(3, 500));
  EXPECT_NE(a, f.token_ids(4, 500));
  std::set<int32_t> distinct(a.begin(), a.end());
  EXPECT_GT(distinct.size(), 450u);
  for (int32_t id : a) {
    EXPECT_GE(id, kFirstSafeTokenId);
    EXPECT_LT(id, kMaxSafeTokenId);
  }
  const PromptFactory small(1, 2000, ChatCalibration{});
  for (int32_t id : small.token_ids(0, 200)) {
    EXPECT_GE(id, small.first_token_id());
    EXPECT_LT(id, 2000);
  }
}

TEST(BenchPromptTest, SaltedFactoriesKeepLengthsButNotContents) {
  // Each rate of a sweep uses its own salt so servers with prompt caches gain nothing from the
  // previous rate's identical prompts.
  const PromptFactory f(42, 49152, ChatCalibration{});
  const PromptFactory r0 = f.salted(0);
  const PromptFactory r1 = f.salted(1);
  EXPECT_EQ(r0.token_ids(3, 200), f.salted(0).token_ids(3, 200));
  EXPECT_NE(r0.token_ids(3, 200), r1.token_ids(3, 200));
  EXPECT_NE(r0.token_ids(3, 200), f.token_ids(3, 200));
  EXPECT_EQ(r1.token_ids(3, 200).size(), 200u);
  EXPECT_NE(r0.words(5, 50), r1.words(5, 50));
  EXPECT_EQ(r1.first_token_id(), f.first_token_id());
}

TEST(BenchPromptTest, ChatTextFollowsTheCalibration) {
  const ChatCalibration c = fit_chat_calibration(16, 28, 80, 92);  // 1 token/word, overhead 12
  EXPECT_TRUE(c.measured);
  EXPECT_DOUBLE_EQ(c.tokens_per_word, 1.0);
  EXPECT_DOUBLE_EQ(c.template_overhead, 12.0);
  const PromptFactory f(7, 0, c);
  const std::string text = f.chat_text(5, 112);  // 100 words
  size_t spaces = 0;
  for (char ch : text) spaces += ch == ' ';
  EXPECT_EQ(spaces + 1, 100u);
  EXPECT_EQ(f.chat_text(5, 112), text);
  EXPECT_FALSE(fit_chat_calibration(10, 20, 10, 30).measured);
  EXPECT_FALSE(fit_chat_calibration(10, 30, 20, 20).measured);  // negative slope
}

TEST(BenchUrlTest, ParsesOriginAndPrefix) {
  BenchTarget t;
  ASSERT_TRUE(parse_bench_url("http://127.0.0.1:8080", t).is_ok());
  EXPECT_EQ(t.origin, "http://127.0.0.1:8080");
  EXPECT_EQ(t.request_path(), "/v1/completions");
  ASSERT_TRUE(parse_bench_url("http://host:9/api/v1/", t).is_ok());
  EXPECT_EQ(t.origin, "http://host:9");
  t.endpoint = BenchEndpoint::kChat;
  EXPECT_EQ(t.request_path(), "/api/v1/chat/completions");
  EXPECT_FALSE(parse_bench_url("https://x", t).is_ok());
  EXPECT_FALSE(parse_bench_url("ftp://x", t).is_ok());
  EXPECT_FALSE(parse_bench_url("http://", t).is_ok());
}

TEST(BenchSweepTest, ParsesInclusiveRanges) {
  StatusOr<std::vector<double>> r = parse_sweep("1:2:0.5");
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(*r, (std::vector<double>{1.0, 1.5, 2.0}));
  StatusOr<std::vector<double>> tenth = parse_sweep("0.1:0.3:0.1");  // float steps still reach B
  ASSERT_TRUE(tenth.is_ok());
  EXPECT_EQ(tenth->size(), 3u);
  EXPECT_FALSE(parse_sweep("1:2").is_ok());
  EXPECT_FALSE(parse_sweep("2:1:1").is_ok());
  EXPECT_FALSE(parse_sweep("1:2:0").is_ok());
  EXPECT_FALSE(parse_sweep("1:2:1x").is_ok());
  EXPECT_FALSE(parse_sweep("0:2:1").is_ok());
}

}  // namespace
}  // namespace asc::server

namespace asc::server {
namespace {

TEST(BenchPromptTest, TokenizerMakesChatContentExact) {
  const std::string model = std::string(ASC_SOURCE_DIR) + "/models/SmolLM2-135M-Instruct.Q4_1.gguf";
  if (!std::filesystem::exists(model)) GTEST_SKIP() << "model absent at " << model;
  StatusOr<std::unique_ptr<GgufFile>> gguf = GgufFile::open(model);
  ASSERT_TRUE(gguf.is_ok()) << gguf.status().to_string();
  StatusOr<std::unique_ptr<Tokenizer>> t = Tokenizer::from_gguf(**gguf);
  ASSERT_TRUE(t.is_ok()) << t.status().to_string();
  std::shared_ptr<const Tokenizer> tokenizer(std::move(t).value());
  ChatCalibration c;
  c.template_overhead = 20.0;
  PromptFactory f(9, 0, c);
  f.set_tokenizer(tokenizer);
  for (int32_t target : {21, 57, 420, 2000}) {
    const std::string text = f.chat_text(static_cast<uint64_t>(target), target);
    EXPECT_EQ(static_cast<int32_t>(tokenizer->encode(text, false, false).size()), target - 20) << target;
  }
  for (int32_t id : f.token_ids(1, 3000)) EXPECT_FALSE(tokenizer->is_control(id));
}

}  // namespace
}  // namespace asc::server
