// Tokenizer against llama.cpp's tokenization of SmolLM2 (tests/golden/smollm2_reference.json,
// written by scripts/make-reference.sh), plus round trips, streaming and special tokens.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "engine/model/gguf.h"
#include "engine/model/tokenizer.h"
#include "engine/model/tokenizer_detokenizer.h"
#include "engine/model/utf8.h"

namespace asc {
namespace {

const char* const kModelPath = ASC_SOURCE_DIR "/models/SmolLM2-135M-Instruct.Q4_1.gguf";
const char* const kGoldenPath = ASC_SOURCE_DIR "/tests/golden/smollm2_reference.json";

class SmolTokenizerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!std::filesystem::exists(kModelPath)) return;
    auto gguf = GgufFile::open(kModelPath);
    ASSERT_TRUE(gguf.is_ok()) << gguf.status().to_string();
    auto tok = Tokenizer::from_gguf(**gguf);
    ASSERT_TRUE(tok.is_ok()) << tok.status().to_string();
    tokenizer_ = std::move(*tok).release();
    std::ifstream in(kGoldenPath);
    ASSERT_TRUE(in.good()) << "missing " << kGoldenPath;
    golden_ = new nlohmann::json(nlohmann::json::parse(in));
  }
  static void TearDownTestSuite() {
    delete tokenizer_;
    delete golden_;
    tokenizer_ = nullptr;
    golden_ = nullptr;
  }
  void SetUp() override {
    if (tokenizer_ == nullptr) GTEST_SKIP() << "model file absent: " << kModelPath;
  }
  static std::vector<int32_t> ids(const nlohmann::json& j) { return j.get<std::vector<int32_t>>(); }

  static inline Tokenizer* tokenizer_ = nullptr;       // suite-scoped, read-only in tests
  static inline nlohmann::json* golden_ = nullptr;
};

TEST_F(SmolTokenizerTest, VocabularyFacts) {
  EXPECT_EQ(tokenizer_->vocab_size(), 49152);
  EXPECT_EQ(tokenizer_->bos_id(), 1);
  EXPECT_EQ(tokenizer_->eos_id(), 2);
  EXPECT_FALSE(tokenizer_->add_bos());
  EXPECT_TRUE(tokenizer_->is_eog(2));  // <|im_end|>
  EXPECT_TRUE(tokenizer_->is_eog(0));  // <|endoftext|>
  EXPECT_FALSE(tokenizer_->is_eog(1));
  EXPECT_EQ(tokenizer_->token_text(1), "<|im_start|>");
  EXPECT_EQ(tokenizer_->find_token("<|im_end|>"), 2);
}

TEST_F(SmolTokenizerTest, MatchesLlamaCppOnEveryGoldenPrompt) {
  const auto& prompts = (*golden_)["prompts"];
  ASSERT_GE(prompts.size(), 24u);
  for (const auto& p : prompts) {
    const std::string text = p["prompt"];
    const auto got = tokenizer_->encode(text, /*add_special=*/true, /*parse_special=*/true);
    EXPECT_EQ(got, ids(p["prompt_ids"])) << "prompt '" << p["name"].get<std::string>() << "'";
  }
  const auto& chat = (*golden_)["chat"];
  EXPECT_EQ(tokenizer_->encode(chat["rendered"].get<std::string>(), true, true),
            ids(chat["prompt_ids"]));
}

TEST_F(SmolTokenizerTest, DecodeRoundTripsEveryPrompt) {
  for (const auto& p : (*golden_)["prompts"]) {
    const std::string text = p["prompt"];
    const auto tokens = tokenizer_->encode(text, true, true);
    EXPECT_EQ(tokenizer_->decode(tokens, /*render_special=*/true), text) << p["name"];
  }
}

TEST_F(SmolTokenizerTest, DecodeOfGreedyIdsMatchesLlamaCppText) {
  // llama.cpp's content is the concatenation of the generated pieces; our streaming
  // detokenizer must produce the same text, token by token.
  for (const auto& p : (*golden_)["prompts"]) {
    const auto greedy = ids(p["greedy_ids"]);
    Detokenizer detok(*tokenizer_);
    std::string streamed;
    for (int32_t id : greedy) streamed += detok.push(id);
    streamed += detok.flush();
    EXPECT_EQ(streamed, p["greedy_text"].get<std::string>()) << p["name"];
    // decode() returns raw bytes; the server's text replaces an unfinished last character.
    EXPECT_EQ(utf8::sanitize(tokenizer_->decode(greedy)), p["greedy_text"].get<std::string>())
        << p["name"];
  }
}

TEST_F(SmolTokenizerTest, StreamingNeverSplitsACharacter) {
  const std::string text = "Pizza 🍕 and 北京欢迎你 with 👨‍👩‍👧‍👦 and 😂😂 done";
  const auto tokens = tokenizer_->encode(text, false, false);
  int split_pieces = 0;
  for (int32_t id : tokens) {
    const std::string& piece = tokenizer_->token_piece(id);
    if (utf8::sanitize(piece) != piece) ++split_pieces;
  }
  ASSERT_GT(split_pieces, 0) << "test text no longer splits a character across tokens";
  Detokenizer detok(*tokenizer_);
  std::string joined;
  size_t max_pending = 0;
  for (int32_t id : tokens) {
    const std::string out = detok.push(id);
    EXPECT_EQ(utf8::sanitize(out), out) << "returned text is not whole UTF-8";
    max_pending = std::max(max_pending, detok.pending_bytes());
    joined += out;
  }
  EXPECT_GT(max_pending, 0u);
  EXPECT_EQ(detok.flush(), "");
  EXPECT_EQ(joined, text);
}

TEST_F(SmolTokenizerTest, FlushReplacesAnUnfinishedCharacter) {
  // The first byte-level token of an emoji holds an incomplete UTF-8 sequence.
  const auto tokens = tokenizer_->encode("🍕", false, false);
  ASSERT_GE(tokens.size(), 2u);
  Detokenizer detok(*tokenizer_);
  EXPECT_EQ(detok.push(tokens[0]), "");
  EXPECT_EQ(detok.flush(), "\xEF\xBF\xBD");
}

TEST_F(SmolTokenizerTest, SpecialTokensOnlyParsedWhenAsked) {
  const std::string text = "<|im_start|>user\nHi<|im_end|>";
  const auto parsed = tokenizer_->encode(text, false, true);
  ASSERT_GE(parsed.size(), 3u);
  EXPECT_EQ(parsed.front(), 1);
  EXPECT_EQ(parsed.back(), 2);
  const auto literal = tokenizer_->encode(text, false, false);
  EXPECT_EQ(std::count(literal.begin(), literal.end(), 1), 0);
  EXPECT_EQ(std::count(literal.begin(), literal.end(), 2), 0);
  EXPECT_GT(literal.size(), parsed.size());
  // Control tokens are hidden from decoded text unless rendered.
  EXPECT_EQ(tokenizer_->decode(parsed), "user\nHi");
  EXPECT_EQ(tokenizer_->decode(parsed, true), text);
  EXPECT_EQ(tokenizer_->decode(literal), text);
}

TEST_F(SmolTokenizerTest, EmptyAndOutOfRange) {
  EXPECT_TRUE(tokenizer_->encode("", true, true).empty());
  EXPECT_EQ(tokenizer_->token_piece(-1), "");
  EXPECT_EQ(tokenizer_->token_piece(1 << 20), "");
  const std::vector<int32_t> bad = {-5, 49152, 100000};
  EXPECT_EQ(tokenizer_->decode(bad), "");
  // Invalid UTF-8 input does not crash and tokenizes like U+FFFD (llama.cpp's behaviour).
  EXPECT_EQ(tokenizer_->encode("a\xFF" "b", false, false),
            tokenizer_->encode("a\xEF\xBF\xBD" "b", false, false));
}

TEST_F(SmolTokenizerTest, LongPromptTiming) {
  std::string text;
  for (const auto& p : (*golden_)["prompts"]) text += p["prompt"].get<std::string>() + "\n";
  const std::string unit = text;
  while (tokenizer_->encode(text, false, false).size() < 4000) text += unit;
  const auto start = std::chrono::steady_clock::now();
  const auto tokens = tokenizer_->encode(text, false, false);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::printf("[ timing ] encode of %zu tokens (%zu bytes): %.2f ms\n", tokens.size(), text.size(), ms);
  EXPECT_EQ(tokenizer_->decode(tokens), text);
}

}  // namespace
}  // namespace asc
