// UTF-8 helpers used by the tokenizer and the streaming detokenizer, and a random round trip
// through the SmolLM2 tokenizer with the detokenizer fed one token at a time.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "engine/model/gguf.h"
#include "engine/model/tokenizer.h"
#include "engine/model/tokenizer_detokenizer.h"
#include "engine/model/utf8.h"

namespace asc {
namespace {

TEST(Utf8Test, DecodeEncodeRoundTrip) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<uint32_t> any(1, 0x10FFFF);
  for (int i = 0; i < 2000; ++i) {
    uint32_t cp = any(rng);
    if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0x4E00 + (cp & 0xFF);  // no surrogates
    std::string s;
    utf8::append(s, cp);
    size_t pos = 0;
    EXPECT_EQ(utf8::decode_one(s, pos), cp);
    EXPECT_EQ(pos, s.size());
    EXPECT_EQ(utf8::complete_prefix_length(s), s.size());
    EXPECT_EQ(utf8::sanitize(s), s);
    for (size_t cut = 1; cut < s.size(); ++cut) {
      EXPECT_EQ(utf8::complete_prefix_length("ab" + s.substr(0, cut)), 2u) << cp << " cut " << cut;
    }
  }
}

TEST(Utf8Test, InvalidBytesBecomeReplacement) {
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(utf8::decode("a\x80" "b"), (std::vector<uint32_t>{'a', 0xFFFD, 'b'}));
  EXPECT_EQ(utf8::decode("\xE4\xB8"), (std::vector<uint32_t>{0xFFFD, 0xFFFD}));  // truncated
  EXPECT_EQ(utf8::sanitize("a\x80" "b"), "a" + fffd + "b");
  EXPECT_EQ(utf8::sanitize("\xF0\x9F\x98"), fffd);          // one maximal subpart
  EXPECT_EQ(utf8::sanitize("\xF0\x9F" "x"), fffd + "x");
  EXPECT_EQ(utf8::sanitize("\xFF\xFE"), fffd + fffd);
  EXPECT_EQ(utf8::complete_prefix_length("a\x80"), 2u);     // invalid, not held back
  EXPECT_EQ(utf8::complete_prefix_length("a\xF0\x9F\x98"), 1u);
}

TEST(Utf8Test, RandomTextRoundTripsThroughSmolLM2) {
  const std::string model = ASC_SOURCE_DIR "/models/SmolLM2-135M-Instruct.Q4_1.gguf";
  if (!std::filesystem::exists(model)) GTEST_SKIP() << "model file absent: " << model;
  auto gguf = GgufFile::open(model);
  ASSERT_TRUE(gguf.is_ok()) << gguf.status().to_string();
  auto tok = Tokenizer::from_gguf(**gguf);
  ASSERT_TRUE(tok.is_ok()) << tok.status().to_string();
  // Code points from ranges that exercise every splitter branch.
  const std::vector<std::pair<uint32_t, uint32_t>> ranges = {
      {0x20, 0x7E}, {0x09, 0x0D}, {0xC0, 0x24F}, {0x300, 0x36F}, {0x400, 0x4FF},
      {0x660, 0x669}, {0x3040, 0x30FF}, {0x4E00, 0x9FFF}, {0xAC00, 0xD7A3}, {0x1F300, 0x1FAFF},
      {0x2000, 0x206F}};
  std::mt19937 rng(42);
  for (int i = 0; i < 200; ++i) {
    std::string text;
    const int n = 1 + static_cast<int>(rng() % 60);
    for (int k = 0; k < n; ++k) {
      const auto& [lo, hi] = ranges[rng() % ranges.size()];
      utf8::append(text, lo + rng() % (hi - lo + 1));
    }
    const auto ids = (*tok)->encode(text, true, false);
    ASSERT_EQ((*tok)->decode(ids), text);
    Detokenizer detok(**tok);
    std::string streamed;
    for (int32_t id : ids) {
      const std::string piece = detok.push(id);
      ASSERT_EQ(utf8::sanitize(piece), piece);
      streamed += piece;
    }
    streamed += detok.flush();
    ASSERT_EQ(streamed, text);
  }
}

}  // namespace
}  // namespace asc
