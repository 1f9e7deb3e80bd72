// Pre-tokenizer splits: hand-computed expectations from each family's regex, and llama.cpp's
// tokenization of every golden prompt with the SmolLM2 vocabulary under each family's splitter
// (tests/golden/pretokenizer_reference.json, written by scripts/make-reference.sh).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "engine/model/bpe_pretokenize.h"
#include "engine/model/gguf.h"
#include "engine/model/tokenizer.h"
#include "engine/model/unicode.h"

namespace asc {
namespace {

using Words = std::vector<std::string>;

TEST(PreTokenizeTest, Gpt2) {
  EXPECT_EQ(pre_tokenize(PreTokenizer::kGpt2, "Hello world's  test 123!?"),
            (Words{"Hello", " world", "'s", " ", " test", " 123", "!?"}));
  // Trailing spaces at the end of the text stay together (\s+ at the end).
  EXPECT_EQ(pre_tokenize(PreTokenizer::kGpt2, "a   "), (Words{"a", "   "}));
  EXPECT_EQ(pre_tokenize(PreTokenizer::kGpt2, "I'M"), (Words{"I", "'", "M"}));  // case-sensitive
}

TEST(PreTokenizeTest, Llama3) {
  EXPECT_EQ(pre_tokenize(PreTokenizer::kLlama3, "Hello world's  test 12345\n\nok"),
            (Words{"Hello", " world", "'s", " ", " test", " ", "123", "45", "\n\n", "ok"}));
  EXPECT_EQ(pre_tokenize(PreTokenizer::kLlama3, "I'M (x)\n"), (Words{"I", "'M", " (", "x", ")\n"}));
}

TEST(PreTokenizeTest, Qwen2SplitsEveryDigit) {
  EXPECT_EQ(pre_tokenize(PreTokenizer::kQwen2, "abc 123"), (Words{"abc", " ", "1", "2", "3"}));
}

TEST(PreTokenizeTest, SmollmSplitsDigitsFirst) {
  EXPECT_EQ(pre_tokenize(PreTokenizer::kSmollm, "abc 123x"),
            (Words{"abc", " ", "1", "2", "3", "x"}));
  EXPECT_EQ(pre_tokenize(PreTokenizer::kSmollm, "北京 ²"), (Words{"北京", " ", "²"}));
}

TEST(PreTokenizeTest, DefaultFamily) {
  EXPECT_EQ(pre_tokenize(PreTokenizer::kDefault, "a+=b 1234"),
            (Words{"a", "+=", "b", " ", "123", "4"}));
}

TEST(PreTokenizeTest, UnicodeClasses) {
  EXPECT_TRUE(unicode::is_letter(U'é'));
  EXPECT_TRUE(unicode::is_letter(U'北'));
  EXPECT_TRUE(unicode::is_number(U'²'));
  EXPECT_TRUE(unicode::is_number(U'٣'));
  EXPECT_TRUE(unicode::is_punctuation(U'。'));
  EXPECT_FALSE(unicode::is_letter(U'😂'));
  EXPECT_TRUE(unicode::is_whitespace(0x3000));
  EXPECT_FALSE(unicode::is_whitespace(0x200B));
  EXPECT_EQ(unicode::unicode_class(0x10FFFF + 1), unicode::UnicodeClass::kUndefined);
}

TEST(PreTokenizeTest, UnknownFamilyIsUnimplemented) {
  auto kind = pre_tokenizer_from_name("tekken");
  ASSERT_FALSE(kind.is_ok());
  EXPECT_EQ(kind.status().code(), StatusCode::kUnimplemented);
  EXPECT_EQ(*pre_tokenizer_from_name("llama-bpe"), PreTokenizer::kLlama3);
}

TEST(PreTokenizeTest, MatchesLlamaCppForEveryFamily) {
  const std::string model = ASC_SOURCE_DIR "/models/SmolLM2-135M-Instruct.Q4_1.gguf";
  const std::string golden = ASC_SOURCE_DIR "/tests/golden/pretokenizer_reference.json";
  if (!std::filesystem::exists(model)) GTEST_SKIP() << "model file absent: " << model;
  std::ifstream in(golden);
  ASSERT_TRUE(in.good()) << "missing " << golden;
  const auto ref = nlohmann::json::parse(in);
  auto gguf = GgufFile::open(model);
  ASSERT_TRUE(gguf.is_ok()) << gguf.status().to_string();
  auto base = tokenizer_data_from_gguf(**gguf);
  ASSERT_TRUE(base.is_ok()) << base.status().to_string();
  ASSERT_GE(ref["families"].size(), 4u);
  for (const auto& [family, cases] : ref["families"].items()) {
    TokenizerData data = *base;
    data.pre = family;
    auto tok = Tokenizer::from_data(std::move(data));
    ASSERT_TRUE(tok.is_ok()) << tok.status().to_string();
    for (const auto& c : cases) {
      EXPECT_EQ((*tok)->encode(c["prompt"].get<std::string>(), true, true),
                c["ids"].get<std::vector<int32_t>>())
          << family << ": " << c["prompt"].get<std::string>();
    }
  }
}

}  // namespace
}  // namespace asc
