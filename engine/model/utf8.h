// UTF-8 helpers shared by the tokenizer, the pre-tokenizer and the streaming detokenizer.
//
// Decoding is lenient in the same way as llama.cpp's (our reference): a byte that cannot start or
// complete a sequence becomes U+FFFD and decoding resumes at the next byte, so every input yields
// a code point sequence and tokenization never fails on bad bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace asc::utf8 {

inline constexpr uint32_t kReplacement = 0xFFFD;

/// Bytes announced by a lead byte from its high bits (1 for ASCII, continuation or invalid bytes).
size_t sequence_length(uint8_t lead);

/// Decodes the code point at `pos` and advances `pos` past it; U+FFFD (advancing one byte) when
/// the bytes there are not a complete sequence. Requires pos < text.size().
uint32_t decode_one(std::string_view text, size_t& pos);

/// All code points of `text` (lenient, see above).
std::vector<uint32_t> decode(std::string_view text);

/// Appends the UTF-8 encoding of `cp` (values above U+10FFFF are encoded as U+FFFD).
void append(std::string& out, uint32_t cp);

/// Length of the longest prefix of `bytes` that does not end inside an incomplete (but so far
/// valid) multi-byte sequence. Used by the streaming detokenizer to hold back a split character.
size_t complete_prefix_length(std::string_view bytes);

/// `bytes` with every invalid or truncated sequence replaced by one U+FFFD (valid input is
/// unchanged). A truncated sequence (lead byte plus some continuation bytes) is one replacement.
std::string sanitize(std::string_view bytes);

}  // namespace asc::utf8
