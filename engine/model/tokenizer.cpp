// Tokenizer: special-token partition, dispatch to the BPE models, and token pieces.
#include "engine/model/tokenizer.h"

#include <algorithm>

#include "engine/model/gguf.h"

namespace asc {
namespace {

constexpr std::string_view kSpaceMarker = "\xE2\x96\x81";  // U+2581, SentencePiece's space

/// Texts of end-of-turn tokens that llama.cpp also treats as end of generation.
constexpr std::string_view kEogTexts[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|eom_id|>",
    "<EOT>", "<|end_of_text|>", "<end_of_utterance>"};

std::string replace_all(std::string_view text, std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (true) {
    const size_t hit = text.find(from, pos);
    if (hit == std::string_view::npos) break;
    out.append(text.substr(pos, hit - pos));
    out.append(to);
    pos = hit + from.size();
  }
  out.append(text.substr(pos));
  return out;
}

TokenType type_of(const TokenizerData& d, int32_t id) {
  return d.types.empty() ? TokenType::kNormal : d.types[id];
}

}  // namespace

Tokenizer::Tokenizer(TokenizerData data) : data_(std::move(data)), vocab_(data_.tokens) {}

StatusOr<std::unique_ptr<Tokenizer>> Tokenizer::from_data(TokenizerData data) {
  ASC_RETURN_IF_ERROR(validate_tokenizer_data(data));
  std::unique_ptr<Tokenizer> tok(new Tokenizer(std::move(data)));  // private constructor
  ASC_RETURN_IF_ERROR(tok->init());
  return tok;
}

StatusOr<std::unique_ptr<Tokenizer>> Tokenizer::from_gguf(const GgufFile& gguf) {
  auto data = tokenizer_data_from_gguf(gguf);
  if (!data) return data.status();
  return from_data(std::move(*data));
}

StatusOr<std::unique_ptr<Tokenizer>> Tokenizer::from_hf_folder(const std::string& folder) {
  auto data = tokenizer_data_from_hf_folder(folder);
  if (!data) return data.status();
  return from_data(std::move(*data));
}

Status Tokenizer::init() {
  const auto n = static_cast<int32_t>(data_.tokens.size());
  if (data_.model == TokenizerModel::kByteBpe) {
    auto pre = pre_tokenizer_from_name(data_.pre);
    if (!pre) return pre.status();
    pre_ = *pre;
    bpe_.emplace(data_, vocab_, pre_tokenizer_ignores_merges(pre_));
  } else {
    spm_.emplace(data_, vocab_);
  }
  pieces_.reserve(n);
  eog_.assign(n, 0);
  for (int32_t id = 0; id < n; ++id) {
    pieces_.push_back(make_piece(id));
    const TokenType t = type_of(data_, id);
    if (t == TokenType::kControl || t == TokenType::kUserDefined || t == TokenType::kUnknown) {
      if (!data_.tokens[id].empty()) special_by_length_.push_back(id);
      if (t == TokenType::kControl &&
          std::find(std::begin(kEogTexts), std::end(kEogTexts), data_.tokens[id]) !=
              std::end(kEogTexts)) {
        eog_[id] = 1;
      }
    }
  }
  for (int32_t id : {data_.eos_id, data_.eot_id, data_.eom_id}) {
    if (id != kNoToken) eog_[id] = 1;
  }
  std::stable_sort(special_by_length_.begin(), special_by_length_.end(), [&](int32_t a, int32_t b) {
    return data_.tokens[a].size() > data_.tokens[b].size();
  });
  return Status::ok();
}

std::string Tokenizer::make_piece(int32_t id) const {
  const std::string& text = data_.tokens[id];
  switch (type_of(data_, id)) {
    case TokenType::kControl:
    case TokenType::kUnknown:
    case TokenType::kUserDefined:
      return text;
    case TokenType::kNormal:
      if (data_.model == TokenizerModel::kSentencePiece) return replace_all(text, kSpaceMarker, " ");
      return ByteLevelBpe::decode_token_text(text);
    case TokenType::kByte: {
      const int32_t b = SentencePieceBpe::byte_of_token(text);
      if (b >= 0) return std::string(1, static_cast<char>(b));
      return data_.model == TokenizerModel::kByteBpe ? ByteLevelBpe::decode_token_text(text) : text;
    }
    default:
      return std::string();  // unused / undefined tokens have no text
  }
}

std::vector<Tokenizer::Fragment> Tokenizer::partition_special(std::string_view text,
                                                              bool parse_special) const {
  std::vector<Fragment> fragments;
  if (!text.empty()) fragments.push_back({kNoToken, 0, text.size()});
  for (int32_t id : special_by_length_) {
    const TokenType t = type_of(data_, id);
    if (!parse_special && (t == TokenType::kControl || t == TokenType::kUnknown)) continue;
    const std::string& special = data_.tokens[id];
    std::vector<Fragment> next;
    next.reserve(fragments.size() + 2);
    for (const Fragment& f : fragments) {
      if (f.token != kNoToken) {
        next.push_back(f);
        continue;
      }
      size_t pos = f.offset;
      const size_t end = f.offset + f.length;
      while (pos < end) {
        const size_t hit = text.substr(0, end).find(special, pos);
        if (hit == std::string_view::npos) break;
        if (hit > pos) next.push_back({kNoToken, pos, hit - pos});
        next.push_back({id, hit, special.size()});
        pos = hit + special.size();
      }
      if (pos < end) next.push_back({kNoToken, pos, end - pos});
    }
    fragments = std::move(next);
  }
  return fragments;
}

void Tokenizer::encode_text(std::string_view text, bool after_special,
                            std::vector<int32_t>& out) const {
  if (bpe_) {
    for (const std::string& word : pre_tokenize(pre_, text)) bpe_->encode_word(word, out);
    return;
  }
  std::string escaped = data_.add_space_prefix && after_special ? " " : "";
  escaped.append(text);
  spm_->encode(replace_all(escaped, " ", kSpaceMarker), out);
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_special,
                                       bool parse_special) const {
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 2);
  if (add_special && data_.add_bos) out.push_back(data_.bos_id);
  bool after_special = true;  // SentencePiece: a dummy space before text that starts a run
  for (const Fragment& f : partition_special(text, parse_special)) {
    if (f.token != kNoToken) {
      out.push_back(f.token);
      after_special = true;
    } else {
      encode_text(text.substr(f.offset, f.length), after_special, out);
      after_special = false;
    }
  }
  if (add_special && data_.add_eos) out.push_back(data_.eos_id);
  return out;
}

bool Tokenizer::strips_leading_space() const {
  return data_.model == TokenizerModel::kSentencePiece && data_.add_space_prefix;
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool render_special) const {
  std::string out;
  bool first = strips_leading_space();
  for (int32_t id : ids) {
    if (id < 0 || id >= vocab_size()) continue;
    if (!render_special && is_control(id)) continue;
    std::string_view piece = pieces_[id];
    if (first && !piece.empty()) {
      if (piece.front() == ' ') piece.remove_prefix(1);
      first = false;
    }
    out.append(piece);
  }
  return out;
}

const std::string& Tokenizer::token_piece(int32_t id) const {
  static const std::string kEmpty;  // immutable, so not a mutable global
  return id >= 0 && id < vocab_size() ? pieces_[id] : kEmpty;
}

std::string_view Tokenizer::token_text(int32_t id) const {
  return id >= 0 && id < vocab_size() ? std::string_view(data_.tokens[id]) : std::string_view();
}

bool Tokenizer::is_control(int32_t id) const {
  if (id < 0 || id >= vocab_size()) return false;
  const TokenType t = type_of(data_, id);
  return t == TokenType::kControl || t == TokenType::kUnknown;
}

bool Tokenizer::is_eog(int32_t id) const { return id >= 0 && id < vocab_size() && eog_[id] != 0; }

}  // namespace asc
