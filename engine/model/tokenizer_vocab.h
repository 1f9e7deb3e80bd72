// TokenVocab: text -> id lookup shared by the BPE models and the tokenizer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/model/tokenizer_data.h"

namespace asc {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

class TokenVocab {
 public:
  /// Indexes `tokens`; when a text repeats, the lowest id wins.
  explicit TokenVocab(const std::vector<std::string>& tokens);

  /// The id of a token text, or kNoToken.
  int32_t find(std::string_view text) const {
    auto it = ids_.find(text);
    return it == ids_.end() ? kNoToken : it->second;
  }

 private:
  std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>> ids_;
};

}  // namespace asc
