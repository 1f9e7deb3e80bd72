// UTF-8 decoding, encoding and the "complete prefix" test used for streaming output.
#include "engine/model/utf8.h"

namespace asc::utf8 {
namespace {

bool is_continuation(uint8_t b) { return (b & 0xC0) == 0x80; }

/// Strict check used for sanitizing output: a complete sequence of the announced length.
size_t valid_sequence_at(std::string_view s, size_t pos) {
  const auto lead = static_cast<uint8_t>(s[pos]);
  if (lead < 0x80) return 1;
  size_t n = 0;
  if ((lead & 0xE0) == 0xC0 && lead >= 0xC2) n = 2;
  else if ((lead & 0xF0) == 0xE0) n = 3;
  else if ((lead & 0xF8) == 0xF0 && lead <= 0xF4) n = 4;
  else return 0;
  if (pos + n > s.size()) return 0;
  for (size_t i = 1; i < n; ++i) {
    if (!is_continuation(static_cast<uint8_t>(s[pos + i]))) return 0;
  }
  return n;
}

}  // namespace

size_t sequence_length(uint8_t lead) {
  static constexpr uint8_t kLengths[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLengths[lead >> 4];
}

uint32_t decode_one(std::string_view text, size_t& pos) {
  const auto b0 = static_cast<uint8_t>(text[pos]);
  if (b0 < 0x80) {
    pos += 1;
    return b0;
  }
  size_t n = 0;
  uint32_t cp = 0;
  if ((b0 & 0xE0) == 0xC0) {
    n = 2;
    cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    n = 3;
    cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    n = 4;
    cp = b0 & 0x07;
  } else {
    pos += 1;  // continuation byte or 0xF8..0xFF in lead position
    return kReplacement;
  }
  if (pos + n > text.size()) {
    pos += 1;
    return kReplacement;
  }
  for (size_t i = 1; i < n; ++i) {
    const auto b = static_cast<uint8_t>(text[pos + i]);
    if (!is_continuation(b)) {
      pos += 1;
      return kReplacement;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  pos += n;
  return cp;
}

std::vector<uint32_t> decode(std::string_view text) {
  std::vector<uint32_t> cps;
  cps.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) cps.push_back(decode_one(text, pos));
  return cps;
}

void append(std::string& out, uint32_t cp) {
  if (cp > 0x10FFFF) cp = kReplacement;
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

size_t complete_prefix_length(std::string_view bytes) {
  // Only the last three bytes can belong to an unfinished sequence.
  const size_t n = bytes.size();
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    const auto b = static_cast<uint8_t>(bytes[n - back]);
    if (is_continuation(b)) continue;
    const size_t need = b >= 0xC2 && b <= 0xF4 ? sequence_length(b) : 1;
    return need > back ? n - back : n;  // a lead byte still waiting for continuation bytes
  }
  return n;
}

std::string sanitize(std::string_view bytes) {
  // Substitution of maximal subparts: a lead byte followed by some (not all) of its continuation
  // bytes becomes one U+FFFD; any other invalid byte becomes one U+FFFD by itself.
  std::string out;
  out.reserve(bytes.size());
  size_t pos = 0;
  while (pos < bytes.size()) {
    const size_t n = valid_sequence_at(bytes, pos);
    if (n > 0) {
      out.append(bytes.substr(pos, n));
      pos += n;
      continue;
    }
    const auto lead = static_cast<uint8_t>(bytes[pos]);
    const size_t need = lead >= 0xC2 && lead <= 0xF4 ? sequence_length(lead) : 1;
    size_t skip = 1;
    while (skip < need && pos + skip < bytes.size() &&
           is_continuation(static_cast<uint8_t>(bytes[pos + skip]))) {
      ++skip;
    }
    append(out, kReplacement);
    pos += skip;
  }
  return out;
}

}  // namespace asc::utf8
