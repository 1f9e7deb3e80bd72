// SentencePiece BPE merges by score (see bpe_sentencepiece.h for the design).
#include "engine/model/bpe_sentencepiece.h"

#include <cstdio>
#include <queue>
#include <string>

#include "engine/model/utf8.h"

namespace asc {
namespace {

struct Bigram {
  float score;
  int32_t left;
  int32_t right;
  size_t size;  // bytes of the merged text; a mismatch later means the entry is stale
};

struct BigramOrder {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  }
};

}  // namespace

SentencePieceBpe::SentencePieceBpe(const TokenizerData& data, const TokenVocab& vocab)
    : vocab_(&vocab), scores_(&data.scores), unk_id_(data.unk_id) {
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    int32_t id = vocab.find(name);
    if (id == kNoToken) id = vocab.find(std::string(1, static_cast<char>(b)));
    byte_token_[b] = id;
  }
}

int32_t SentencePieceBpe::byte_of_token(std::string_view text) {
  if (text.size() != 6 || text.substr(0, 3) != "<0x" || text[5] != '>') return -1;
  int32_t value = 0;
  for (size_t i = 3; i < 5; ++i) {
    const char c = text[i];
    const int32_t digit = c >= '0' && c <= '9' ? c - '0'
                          : c >= 'A' && c <= 'F' ? c - 'A' + 10
                          : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

void SentencePieceBpe::emit_bytes(std::string_view bytes, std::vector<int32_t>& out) const {
  for (char c : bytes) {
    const int32_t id = byte_token_[static_cast<uint8_t>(c)];
    if (id != kNoToken) {
      out.push_back(id);
    } else if (unk_id_ != kNoToken) {
      out.push_back(unk_id_);
      return;  // one unknown token for the whole unknown character
    }
  }
}

void SentencePieceBpe::emit_symbol(std::string_view piece, std::vector<int32_t>& out) const {
  // Merged symbols are always tokens (a pair is only merged when its text is one); only single
  // characters can miss, and they fall back to byte tokens.
  const int32_t id = vocab_->find(piece);
  if (id != kNoToken) {
    out.push_back(id);
  } else {
    emit_bytes(piece, out);
  }
}

void SentencePieceBpe::encode(std::string_view text, std::vector<int32_t>& out) const {
  if (text.empty()) return;
  std::vector<Symbol> symbols;  // [characters of text]
  for (size_t offset = 0; offset < text.size();) {
    const size_t n = std::min(utf8::sequence_length(static_cast<uint8_t>(text[offset])),
                              text.size() - offset);
    const auto index = static_cast<int32_t>(symbols.size());
    symbols.push_back({offset, n, index - 1, offset + n == text.size() ? -1 : index + 1});
    offset += n;
  }
  std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder> queue;
  const auto try_add = [&](int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    const size_t size = symbols[left].length + symbols[right].length;
    const int32_t id = vocab_->find(text.substr(symbols[left].offset, size));
    if (id == kNoToken) return;
    const float score = scores_->empty() ? 0.0f : (*scores_)[id];
    queue.push({score, left, right, size});
  };
  for (int32_t i = 1; i < static_cast<int32_t>(symbols.size()); ++i) try_add(i - 1, i);
  while (!queue.empty()) {
    const Bigram b = queue.top();
    queue.pop();
    Symbol& left = symbols[b.left];
    Symbol& right = symbols[b.right];
    if (left.length == 0 || right.length == 0 || left.length + right.length != b.size) continue;
    left.length += right.length;
    right.length = 0;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = b.left;
    try_add(left.prev, b.left);
    try_add(b.left, left.next);
  }
  for (int32_t i = 0; i >= 0; i = symbols[i].next) {
    emit_symbol(text.substr(symbols[i].offset, symbols[i].length), out);
  }
}

}  // namespace asc
