// Pre-tokenizers of byte-level BPE vocabularies: split text into words before merges.
//
// Each family is a regex in its tokenizer.json; we implement the splits by hand over code points
// (no std::regex). The behaviour follows llama.cpp's hand-written splitters (unicode.cpp), our
// reference, including their reading of the look-ahead `\s+(?!\S)` at the end of a piece.
//   gpt2:    's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//   llama3:  (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
//            ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//   qwen2:   llama3 with \p{N} (one digit per word)
//   smollm:  \p{N} (each digit alone), then gpt2 inside every piece
//   default: [\p{P}\$\+<=>\^~\|]+, then gpt2, then \p{N}+, then [0-9][0-9][0-9]
// Stages run in order; each splits the pieces of the previous one, and text between matches is a
// piece too.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/core/status.h"

namespace asc {

enum class PreTokenizer { kDefault, kGpt2, kLlama3, kQwen2, kSmollm };

/// Maps a `tokenizer.ggml.pre` value ("llama-bpe", "llama3", "qwen2", "smollm", "gpt2",
/// "default", ...) to a family; UNIMPLEMENTED for families we do not implement.
StatusOr<PreTokenizer> pre_tokenizer_from_name(std::string_view name);

/// Whether the family merges a whole word that is itself a token without running BPE (llama3).
bool pre_tokenizer_ignores_merges(PreTokenizer kind);

/// Splits `text` into words (UTF-8; invalid bytes come back as U+FFFD, as in llama.cpp).
std::vector<std::string> pre_tokenize(PreTokenizer kind, std::string_view text);

}  // namespace asc
