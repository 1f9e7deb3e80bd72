// Text -> id index over the vocabulary.
#include "engine/model/tokenizer_vocab.h"

namespace asc {

TokenVocab::TokenVocab(const std::vector<std::string>& tokens) {
  ids_.reserve(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) ids_.try_emplace(tokens[i], static_cast<int32_t>(i));
}

}  // namespace asc
