// Streaming detokenizer (see tokenizer_detokenizer.h).
#include "engine/model/tokenizer_detokenizer.h"

#include "engine/model/utf8.h"

namespace asc {

Detokenizer::Detokenizer(const Tokenizer& tokenizer, bool render_special, bool strip_leading_space)
    : tokenizer_(&tokenizer),
      render_special_(render_special),
      strip_space_(strip_leading_space && tokenizer.strips_leading_space()) {}

std::string Detokenizer::push(int32_t id) {
  if (!render_special_ && tokenizer_->is_control(id)) return std::string();
  std::string_view piece = tokenizer_->token_piece(id);
  if (strip_space_ && !piece.empty()) {
    if (piece.front() == ' ') piece.remove_prefix(1);
    strip_space_ = false;
  }
  pending_.append(piece);
  const size_t n = utf8::complete_prefix_length(pending_);
  std::string out = utf8::sanitize(std::string_view(pending_).substr(0, n));
  pending_.erase(0, n);
  return out;
}

std::string Detokenizer::flush() {
  std::string out = utf8::sanitize(pending_);
  pending_.clear();
  return out;
}

}  // namespace asc
