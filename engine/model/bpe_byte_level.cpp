// Byte-level BPE merges (see bpe_byte_level.h for the design).
#include "engine/model/bpe_byte_level.h"

#include <queue>

#include "engine/model/utf8.h"

namespace asc {
namespace {

bool maps_to_itself(uint32_t b) { return (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174; }

/// A candidate merge of two adjacent symbols, valid while both still hold the same ids.
struct Bigram {
  int32_t rank;
  int32_t left;   // symbol index
  int32_t right;  // symbol index
  int32_t left_id;
  int32_t right_id;
};

struct BigramOrder {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
  }
};

struct Symbol {
  int32_t id;
  int32_t prev;
  int32_t next;
};

}  // namespace

uint32_t byte_to_unicode(uint8_t byte) {
  if (maps_to_itself(byte)) return byte;
  uint32_t n = 0;  // rank of this byte among the bytes that do not map to themselves
  for (uint32_t b = 0; b < byte; ++b) n += maps_to_itself(b) ? 0 : 1;
  return 256 + n;
}

int32_t unicode_to_byte(uint32_t cp) {
  if (cp < 256) return maps_to_itself(cp) ? static_cast<int32_t>(cp) : -1;
  uint32_t n = 256;
  for (uint32_t b = 0; b < 256; ++b) {
    if (maps_to_itself(b)) continue;
    if (n == cp) return static_cast<int32_t>(b);
    ++n;
  }
  return -1;
}

ByteLevelBpe::ByteLevelBpe(const TokenizerData& data, const TokenVocab& vocab, bool ignore_merges)
    : vocab_(&vocab), ignore_merges_(ignore_merges) {
  for (uint32_t b = 0; b < 256; ++b) {
    std::string text;
    utf8::append(text, byte_to_unicode(static_cast<uint8_t>(b)));
    byte_token_[b] = vocab.find(text);
  }
  merges_.reserve(data.merges.size() * 2);
  for (size_t rank = 0; rank < data.merges.size(); ++rank) {
    const std::string& m = data.merges[rank];
    const size_t space = m.find(' ', 1);
    if (space == std::string::npos) continue;
    const std::string_view left(m.data(), space);
    const std::string_view right(m.data() + space + 1, m.size() - space - 1);
    const int32_t l = vocab.find(left), r = vocab.find(right);
    const int32_t result = vocab.find(std::string(left) + std::string(right));
    if (l == kNoToken || r == kNoToken || result == kNoToken) continue;
    merges_.try_emplace(key(l, r), Merge{static_cast<int32_t>(rank), result});
  }
}

void ByteLevelBpe::encode_word(std::string_view word, std::vector<int32_t>& out) const {
  if (word.empty()) return;
  if (ignore_merges_) {
    std::string mapped;
    for (char c : word) utf8::append(mapped, byte_to_unicode(static_cast<uint8_t>(c)));
    const int32_t whole = vocab_->find(mapped);
    if (whole != kNoToken) {
      out.push_back(whole);
      return;
    }
  }
  std::vector<Symbol> symbols;  // [word bytes], linked list of live symbols
  symbols.reserve(word.size());
  for (size_t i = 0; i < word.size(); ++i) {
    symbols.push_back({byte_token_[static_cast<uint8_t>(word[i])], static_cast<int32_t>(i) - 1,
                       i + 1 == word.size() ? -1 : static_cast<int32_t>(i) + 1});
  }
  std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder> queue;
  const auto try_add = [&](int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    const int32_t l = symbols[left].id, r = symbols[right].id;
    if (l == kNoToken || r == kNoToken) return;
    auto it = merges_.find(key(l, r));
    if (it != merges_.end()) queue.push({it->second.rank, left, right, l, r});
  };
  for (int32_t i = 1; i < static_cast<int32_t>(symbols.size()); ++i) try_add(i - 1, i);
  while (!queue.empty()) {
    const Bigram b = queue.top();
    queue.pop();
    Symbol& left = symbols[b.left];
    Symbol& right = symbols[b.right];
    // Stale entry: one side was merged away or changed since this bigram was queued.
    if (left.id != b.left_id || right.id != b.right_id || left.next != b.right) continue;
    left.id = merges_.at(key(b.left_id, b.right_id)).result;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = b.left;
    right.id = kNoToken;
    right.next = -1;
    try_add(left.prev, b.left);
    try_add(b.left, left.next);
  }
  for (int32_t i = 0; i >= 0; i = symbols[i].next) {
    // A byte whose mapped character is not a token is dropped, as llama.cpp does.
    if (symbols[i].id != kNoToken) out.push_back(symbols[i].id);
  }
}

std::string ByteLevelBpe::decode_token_text(std::string_view text) {
  std::string bytes;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t start = pos;
    const uint32_t cp = utf8::decode_one(text, pos);
    const int32_t b = unicode_to_byte(cp);
    if (b >= 0) {
      bytes.push_back(static_cast<char>(b));
    } else {
      bytes.append(text.substr(start, pos - start));  // not byte-mapped: keep the text as is
    }
  }
  return bytes;
}

}  // namespace asc
