// SentencePiece-style BPE (llama / mistral vocabularies, tokenizer.ggml.model == "llama").
//
// Input text has its spaces already replaced by U+2581 ("▁"). Symbols start as single UTF-8
// characters; the adjacent pair whose concatenation is a token with the highest score is merged
// first (ties: leftmost), through a priority queue over a linked list of symbols. Characters that
// are not tokens fall back to byte tokens <0xNN> (or the unknown token when there are none).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "engine/model/tokenizer_data.h"
#include "engine/model/tokenizer_vocab.h"

namespace asc {

class SentencePieceBpe {
 public:
  SentencePieceBpe(const TokenizerData& data, const TokenVocab& vocab);

  /// Appends the ids of `escaped` (spaces already U+2581).
  void encode(std::string_view escaped, std::vector<int32_t>& out) const;

  /// The byte value of a byte token "<0xNN>", or -1.
  static int32_t byte_of_token(std::string_view text);

 private:
  struct Symbol {
    size_t offset;  // into the escaped text
    size_t length;  // bytes; 0 once merged into its left neighbour
    int32_t prev;
    int32_t next;
  };
  void emit_symbol(std::string_view piece, std::vector<int32_t>& out) const;
  void emit_bytes(std::string_view bytes, std::vector<int32_t>& out) const;

  const TokenVocab* vocab_;
  const std::vector<float>* scores_;
  std::array<int32_t, 256> byte_token_{};  // id of <0xNN>, kNoToken when absent
  int32_t unk_id_;
};

}  // namespace asc
