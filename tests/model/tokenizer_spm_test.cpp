// SentencePiece BPE on a small hand-made vocabulary (no llama-family SPM model is available
// offline). Expected ids are worked out by hand from the scores in the comments.
#include <gtest/gtest.h>

#include <cstdio>

#include "engine/model/tokenizer.h"
#include "engine/model/tokenizer_detokenizer.h"

namespace asc {
namespace {

constexpr int32_t kByteBase = 3;  // ids 3..258 are <0x00>..<0xFF>

/// <unk>, <s>, </s>, 256 byte tokens, then ▁ h e l o ▁h el ll lo ▁he with falling scores.
TokenizerData make_spm(bool with_bytes) {
  TokenizerData d;
  d.model = TokenizerModel::kSentencePiece;
  const auto add = [&](std::string text, float score, TokenType type) {
    d.tokens.push_back(std::move(text));
    d.scores.push_back(score);
    d.types.push_back(type);
  };
  add("<unk>", 0, TokenType::kUnknown);
  add("<s>", 0, TokenType::kControl);
  add("</s>", 0, TokenType::kControl);
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    add(with_bytes ? name : "<unused" + std::to_string(b) + ">", 0,
        with_bytes ? TokenType::kByte : TokenType::kUnused);
  }
  // ids 259..
  add("\xE2\x96\x81", -1, TokenType::kNormal);     // 259 ▁
  add("h", -2, TokenType::kNormal);                // 260
  add("e", -3, TokenType::kNormal);                // 261
  add("l", -4, TokenType::kNormal);                // 262
  add("o", -5, TokenType::kNormal);                // 263
  add("\xE2\x96\x81h", -6, TokenType::kNormal);    // 264 ▁h
  add("el", -7, TokenType::kNormal);               // 265
  add("ll", -8, TokenType::kNormal);               // 266
  add("lo", -9, TokenType::kNormal);               // 267
  add("\xE2\x96\x81he", -10, TokenType::kNormal);  // 268 ▁he
  d.bos_id = 1;
  d.eos_id = 2;
  d.unk_id = 0;
  d.add_bos = true;
  d.add_space_prefix = true;
  return d;
}

std::unique_ptr<Tokenizer> make_tokenizer(bool with_bytes = true) {
  auto tok = Tokenizer::from_data(make_spm(with_bytes));
  EXPECT_TRUE(tok.is_ok()) << tok.status().to_string();
  return std::move(*tok);
}

TEST(SentencePieceTest, MergesByScoreNotByPosition) {
  auto tok = make_tokenizer();
  // "▁hello": ▁h (-6) first, then el (-7); ll (-8) is stale (its l went into el); lo (-9);
  // ▁he (-10) is stale (e went into el). Result ▁h el lo.
  EXPECT_EQ(tok->encode("hello", false, false), (std::vector<int32_t>{264, 265, 267}));
  EXPECT_EQ(tok->encode("hello", true, false), (std::vector<int32_t>{1, 264, 265, 267}));
  EXPECT_EQ(tok->encode("hello hello", false, false),
            (std::vector<int32_t>{264, 265, 267, 264, 265, 267}));
  // "▁he": ▁h (-6) beats he (not a token); then ▁h+e = ▁he (-10).
  EXPECT_EQ(tok->encode("he", false, false), (std::vector<int32_t>{268}));
}

TEST(SentencePieceTest, ByteFallbackAndRoundTrip) {
  auto tok = make_tokenizer();
  // é = C3 A9 is not a token: two byte tokens.
  const auto ids = tok->encode("h\xC3\xA9", false, false);
  EXPECT_EQ(ids, (std::vector<int32_t>{264, kByteBase + 0xC3, kByteBase + 0xA9}));
  EXPECT_EQ(tok->decode(ids), "h\xC3\xA9");  // dummy-prefix space removed
  EXPECT_EQ(tok->token_piece(264), " h");
  EXPECT_EQ(tok->token_piece(kByteBase + 0x41), "A");
  // Streaming: the é is held back until its second byte arrives.
  Detokenizer detok(*tok, false, /*strip_leading_space=*/true);
  EXPECT_EQ(detok.push(ids[0]), "h");
  EXPECT_EQ(detok.push(ids[1]), "");
  EXPECT_EQ(detok.push(ids[2]), "\xC3\xA9");
  EXPECT_EQ(detok.flush(), "");
}

TEST(SentencePieceTest, UnknownWithoutByteTokens) {
  auto tok = make_tokenizer(/*with_bytes=*/false);
  EXPECT_EQ(tok->encode("hx", false, false), (std::vector<int32_t>{264, 0}));
}

TEST(SentencePieceTest, SpecialTokensAndSpacePrefix) {
  auto tok = make_tokenizer();
  // A control token in the text; the text after it gets the dummy space again.
  EXPECT_EQ(tok->encode("he</s>he", false, true), (std::vector<int32_t>{268, 2, 268}));
  // Not parsed: the dummy ▁ is a token; "<", "/", "s", ">" are not and fall back to bytes.
  const auto literal = tok->encode("</s>", false, false);
  EXPECT_EQ(literal, (std::vector<int32_t>{259, kByteBase + '<', kByteBase + '/', kByteBase + 's',
                                           kByteBase + '>'}));
  EXPECT_EQ(tok->decode(literal), "</s>");
  EXPECT_TRUE(tok->is_eog(2));
  EXPECT_EQ(tok->decode(std::vector<int32_t>{1, 264, 265, 267, 2}), "hello");
  EXPECT_EQ(tok->decode(std::vector<int32_t>{1, 264, 265, 267, 2}, true), "<s> hello</s>");
}

TEST(SentencePieceTest, RejectsInconsistentData) {
  TokenizerData d = make_spm(true);
  d.scores.pop_back();
  EXPECT_EQ(Tokenizer::from_data(d).status().code(), StatusCode::kInvalidArgument);
  d = make_spm(true);
  d.bos_id = 100000;
  EXPECT_EQ(Tokenizer::from_data(d).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace asc
