// Byte-level BPE (GPT-2 family): merges ranked by position in the merge list.
//
// Every byte of a word is first mapped to a printable code point (GPT-2's bytes_to_unicode) and
// the token of that one-character text is the word's initial symbol. Merges are applied lowest
// rank first (ties: leftmost) with a priority queue over a linked list of symbols, so a word of n
// bytes costs O(n log n). Symbols are token ids; merges are keyed by (left id, right id).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/core/status.h"
#include "engine/model/tokenizer_data.h"
#include "engine/model/tokenizer_vocab.h"

namespace asc {

/// GPT-2's byte -> code point mapping (printable bytes map to themselves, others above U+0100).
uint32_t byte_to_unicode(uint8_t byte);
/// The inverse: the byte of a mapped code point, or -1 when `cp` is not in the mapping's image.
int32_t unicode_to_byte(uint32_t cp);

class ByteLevelBpe {
 public:
  /// Builds the merge table; merges whose parts or result are not tokens are ignored.
  /// `ignore_merges`: a word that is itself a token is emitted whole (llama3 family).
  ByteLevelBpe(const TokenizerData& data, const TokenVocab& vocab, bool ignore_merges);

  /// Appends the token ids of one pre-tokenized word (raw UTF-8 bytes).
  void encode_word(std::string_view word, std::vector<int32_t>& out) const;

  /// Token text (byte-mapped) -> raw bytes, e.g. "Ġhello" -> " hello".
  static std::string decode_token_text(std::string_view text);

 private:
  struct Merge {
    int32_t rank;
    int32_t result;
  };
  static uint64_t key(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
  }

  const TokenVocab* vocab_;
  bool ignore_merges_;
  std::array<int32_t, 256> byte_token_{};            // token id of each byte's mapped character
  std::unordered_map<uint64_t, Merge> merges_;      // (left id, right id) -> rank and result id
};

}  // namespace asc
