// Detokenizer: streaming token ids -> text that never splits a UTF-8 character.
//
// A token can end in the middle of a multi-byte character (byte-level BPE splits emoji and CJK
// across tokens; SentencePiece emits <0xNN> byte tokens). push() returns only complete UTF-8
// text and holds back the unfinished tail; flush() returns what is left at the end, with any
// incomplete sequence replaced by U+FFFD. Returned text is always valid UTF-8.
#pragma once

#include <cstdint>
#include <string>

#include "engine/model/tokenizer.h"

namespace asc {

class Detokenizer {
 public:
  /// render_special: include control tokens' text. strip_leading_space: drop the leading space of
  /// the first piece of a SentencePiece vocabulary (use for a whole text, not for a continuation).
  explicit Detokenizer(const Tokenizer& tokenizer, bool render_special = false,
                       bool strip_leading_space = false);

  /// Appends one token; returns the text that became complete (often the whole piece, maybe "").
  std::string push(int32_t id);
  /// Returns the held-back bytes (sanitized) and resets the stream.
  std::string flush();
  /// Bytes held back because they end inside a character.
  size_t pending_bytes() const { return pending_.size(); }

 private:
  const Tokenizer* tokenizer_;
  bool render_special_;
  bool strip_space_;
  std::string pending_;  // bytes not yet returned: at most 3 bytes of an unfinished character
};

}  // namespace asc
