// Hand-written pre-tokenizer splits (see bpe_pretokenize.h for the regexes they implement).
//
// Design: the text is decoded to code points once; a "piece list" is a vector of lengths in code
// points. Every stage walks each piece with a cursor that treats positions outside the piece as
// "out of range" (no class), which is how the end-of-piece look-aheads behave.
#include "engine/model/bpe_pretokenize.h"

#include <cstdint>

#include "engine/model/unicode.h"
#include "engine/model/utf8.h"

namespace asc {
namespace {

using Cps = std::vector<uint32_t>;
using Pieces = std::vector<size_t>;  // lengths in code points, summing to the text length

constexpr uint32_t kOutOfRange = 0xFFFFFFFF;

/// Classes of one position inside a piece; all false outside it.
struct Flags {
  bool in_range = false;
  bool letter = false;
  bool number = false;
  bool space = false;
};

/// Walks one piece [begin, end) of the code points and emits sub-piece lengths.
class Cursor {
 public:
  Cursor(const Cps& cps, size_t begin, size_t end, Pieces& out)
      : cps_(cps), begin_(begin), end_(end), prev_end_(begin), out_(out) {}
  uint32_t cpt(size_t pos) const { return pos >= begin_ && pos < end_ ? cps_[pos] : kOutOfRange; }
  Flags flags(size_t pos) const {
    Flags f;
    if (pos < begin_ || pos >= end_) return f;
    const uint32_t c = cps_[pos];
    const auto cls = unicode::unicode_class(c);
    f.in_range = true;
    f.letter = cls == unicode::UnicodeClass::kLetter;
    f.number = cls == unicode::UnicodeClass::kNumber;
    f.space = unicode::is_whitespace(c);
    return f;
  }
  /// Emits the piece ending at `end` (if non-empty); returns its length.
  size_t add(size_t end) {
    const size_t len = end - prev_end_;
    if (len > 0) out_.push_back(len);
    prev_end_ = end;
    return len;
  }
  size_t end() const { return end_; }

 private:
  const Cps& cps_;
  size_t begin_, end_, prev_end_;
  Pieces& out_;
};

bool is_other(const Flags& f) { return f.in_range && !(f.space || f.letter || f.number); }
uint32_t ascii_lower(uint32_t c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/// Length of a contraction ('s 't 're 've 'm 'll 'd) at pos, 0 if none.
size_t contraction_at(const Cursor& c, size_t pos, bool ignore_case) {
  if (c.cpt(pos) != '\'' || pos + 1 >= c.end()) return 0;
  const auto low = [&](uint32_t x) { return ignore_case ? ascii_lower(x) : x; };
  const uint32_t n1 = low(c.cpt(pos + 1));
  if (n1 == 's' || n1 == 't' || n1 == 'm' || n1 == 'd') return 2;
  if (pos + 2 >= c.end()) return 0;
  const uint32_t n2 = low(c.cpt(pos + 2));
  if ((n1 == 'r' && n2 == 'e') || (n1 == 'v' && n2 == 'e') || (n1 == 'l' && n2 == 'l')) return 3;
  return 0;
}

/// Trailing white space: \s+(?!\S) leaves the last space for the next word, unless at the end.
size_t whitespace_run(Cursor& c, size_t pos) {
  size_t n = 0;
  while (c.flags(pos + n).space) ++n;
  if (n > 1 && c.cpt(pos + n) != kOutOfRange) return n - 1;
  return n;
}

void split_gpt2_piece(Cursor& c, size_t pos) {
  while (pos < c.end()) {
    const uint32_t cpt = c.cpt(pos);
    if (size_t n = contraction_at(c, pos, false)) {
      pos += c.add(pos + n);
      continue;
    }
    Flags f2 = cpt == ' ' ? c.flags(pos + 1) : c.flags(pos);
    if (f2.letter || f2.number || is_other(f2)) {
      const bool letter = f2.letter, number = f2.number;
      pos += cpt == ' ';
      while (letter ? f2.letter : number ? f2.number : is_other(f2)) f2 = c.flags(++pos);
      c.add(pos);
      continue;
    }
    const size_t n = whitespace_run(c, pos);
    pos += n > 0 ? n : 1;  // no match: a single code point
    c.add(pos);
  }
}

void split_llama3_piece(Cursor& c, size_t pos, size_t max_digits) {
  while (pos < c.end()) {
    const uint32_t cpt = c.cpt(pos);
    const Flags f = c.flags(pos);
    if (size_t n = contraction_at(c, pos, true)) {
      pos += c.add(pos + n);
      continue;
    }
    // [^\r\n\p{L}\p{N}]?\p{L}+
    if (!(cpt == '\r' || cpt == '\n' || f.number) && (f.letter || c.flags(pos + 1).letter)) {
      ++pos;
      while (c.flags(pos).letter) ++pos;
      c.add(pos);
      continue;
    }
    // \p{N}{1,max_digits}
    if (f.number) {
      size_t ini = pos;
      while (c.flags(pos).number) {
        if (++pos - ini >= max_digits) {
          c.add(pos);
          ini = pos;
        }
      }
      c.add(pos);
      continue;
    }
    // ' '?[^\s\p{L}\p{N}]+[\r\n]*
    Flags f2 = cpt == ' ' ? c.flags(pos + 1) : f;
    if (is_other(f2) && f.in_range) {
      pos += cpt == ' ';
      while (is_other(f2)) f2 = c.flags(++pos);
      while (c.cpt(pos) == '\r' || c.cpt(pos) == '\n') ++pos;
      c.add(pos);
      continue;
    }
    // \s*[\r\n]+ | \s+(?!\S) | \s+
    size_t n = 0, last_newline_end = 0;
    while (c.flags(pos + n).space) {
      const uint32_t w = c.cpt(pos + n);
      if (w == '\r' || w == '\n') last_newline_end = pos + n + 1;
      ++n;
    }
    if (last_newline_end > 0) {
      pos = last_newline_end;
    } else {
      const size_t run = whitespace_run(c, pos);
      pos += run > 0 ? run : 1;
    }
    c.add(pos);
  }
}

/// Generic stage: `match(c, pos)` returns the length of a match at pos (0 for none); text between
/// matches becomes its own piece.
template <typename Match>
Pieces split_matches(const Cps& cps, const Pieces& in, Match match) {
  Pieces out;
  out.reserve(in.size() * 2);
  size_t start = 0;
  for (size_t len : in) {
    Cursor c(cps, start, start + len, out);
    size_t pos = start;
    while (pos < c.end()) {
      const size_t n = match(c, pos);
      if (n == 0) {
        ++pos;
        continue;
      }
      c.add(pos);
      pos += n;
      c.add(pos);
    }
    c.add(c.end());
    start += len;
  }
  return out;
}

template <typename Split>
Pieces split_each(const Cps& cps, const Pieces& in, Split split) {
  Pieces out;
  out.reserve(in.size() * 2);
  size_t start = 0;
  for (size_t len : in) {
    Cursor c(cps, start, start + len, out);
    split(c, start);
    start += len;
  }
  return out;
}

bool is_default_punct(uint32_t cp) {
  switch (cp) {
    case '$': case '+': case '<': case '=': case '>': case '^': case '~': case '|':
      return true;
    default:
      return unicode::is_punctuation(cp);
  }
}

Pieces run_stages(PreTokenizer kind, const Cps& cps) {
  Pieces pieces;
  if (!cps.empty()) pieces.push_back(cps.size());
  const auto gpt2 = [](Cursor& c, size_t pos) { split_gpt2_piece(c, pos); };
  const auto run_of = [](auto pred) {
    return [pred](const Cursor& c, size_t pos) {
      size_t n = 0;
      while (c.cpt(pos + n) != kOutOfRange && pred(c.cpt(pos + n))) ++n;
      return n;
    };
  };
  switch (kind) {
    case PreTokenizer::kGpt2:
      return split_each(cps, pieces, gpt2);
    case PreTokenizer::kLlama3:
      return split_each(cps, pieces, [](Cursor& c, size_t pos) { split_llama3_piece(c, pos, 3); });
    case PreTokenizer::kQwen2:
      return split_each(cps, pieces, [](Cursor& c, size_t pos) { split_llama3_piece(c, pos, 1); });
    case PreTokenizer::kSmollm:
      pieces = split_matches(cps, pieces, [](const Cursor& c, size_t pos) -> size_t {
        return c.flags(pos).number ? 1 : 0;
      });
      return split_each(cps, pieces, gpt2);
    case PreTokenizer::kDefault:
      pieces = split_matches(cps, pieces, run_of(is_default_punct));
      pieces = split_each(cps, pieces, gpt2);
      pieces = split_matches(cps, pieces, run_of([](uint32_t x) { return unicode::is_number(x); }));
      return split_matches(cps, pieces, [](const Cursor& c, size_t pos) -> size_t {
        for (size_t i = 0; i < 3; ++i) {
          const uint32_t x = c.cpt(pos + i);
          if (x < '0' || x > '9') return 0;
        }
        return 3;
      });
  }
  return pieces;
}

}  // namespace

StatusOr<PreTokenizer> pre_tokenizer_from_name(std::string_view name) {
  if (name == "default" || name.empty()) return PreTokenizer::kDefault;
  if (name == "gpt2" || name == "gpt-2") return PreTokenizer::kGpt2;
  if (name == "llama3" || name == "llama-v3" || name == "llama-bpe") return PreTokenizer::kLlama3;
  if (name == "qwen2" || name == "deepseek-r1-qwen") return PreTokenizer::kQwen2;
  if (name == "smollm") return PreTokenizer::kSmollm;
  return unimplemented("pre-tokenizer '" + std::string(name) +
                       "' is not supported (supported: default, gpt2, llama3/llama-bpe, qwen2, smollm)");
}

bool pre_tokenizer_ignores_merges(PreTokenizer kind) { return kind == PreTokenizer::kLlama3; }

std::vector<std::string> pre_tokenize(PreTokenizer kind, std::string_view text) {
  const Cps cps = utf8::decode(text);
  const Pieces pieces = run_stages(kind, cps);
  std::vector<std::string> words;
  words.reserve(pieces.size());
  size_t start = 0;
  for (size_t len : pieces) {
    std::string word;
    for (size_t i = start; i < start + len; ++i) utf8::append(word, cps[i]);
    words.push_back(std::move(word));
    start += len;
  }
  return words;
}

}  // namespace asc

